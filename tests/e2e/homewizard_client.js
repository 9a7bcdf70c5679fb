// Reads a p1gateway meter's HomeWizard port with a published HomeWizard
// client (npm @zandor300/homewizard-energy-api) and prints what it got as
// one JSON line: {"basic": ..., "data": ..., "telegram": ...}.
// usage: node homewizard_client.js http://127.0.0.1:PORT
const { P1MeterApi } = require('@zandor300/homewizard-energy-api');

(async () => {
  const api = new P1MeterApi(process.argv[2]);
  const basic = await api.getBasicInformation();
  const data = await api.getData();
  const telegram = await api.getTelegram();
  console.log(JSON.stringify({ basic, data, telegram }));
})().catch((e) => {
  console.error('homewizard client failed:', e && e.message, e && e.statusCode, e && e.response);
  process.exit(1);
});
