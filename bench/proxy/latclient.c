// latclient: N raw TCP clients in one epoll loop that time DSMR telegrams.
// The C twin of clients.py for latency runs: a telegram counts as received
// when the recv() that completed it ("!XXXX\r\n") returns; its seq comes from
// the 0-0:96.13.0 field meter.py writes. Output is clients.py's JSON shape
// (idx, slow, bytes, ok, bad, discarded_head, first, iac, recv, events), so
// analyze.py reads both. Bounded by --duration; reconnects after 1 s.
// It also records, per telegram, the kernel's receive timestamp of the last
// segment (SO_TIMESTAMPNS, moved to CLOCK_MONOTONIC) as "krecv": on loopback
// that is the moment the server's write() delivered the bytes, so it measures
// the server without this process's own scheduling delay.
// Build: cc -O2 -o latclient latclient.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kBuf = 16384, kMaxRecv = 4096, kMaxEvents = 256 };

typedef struct {
  long long seq, t, kt;
} Recv;

typedef struct {
  int fd;
  int connecting;
  int started;
  size_t len;
  char buf[kBuf];
  long long bytes, ok, bad, discarded_head;
  long long connected_t, next_try_ns;
  int disconnects;
  Recv *recv;
  int nrecv;
} Conn;

static long long NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// CRC16/ARC, table driven: a bitwise loop costs ~10 us per telegram, which
// at N=100 in one process would itself add a millisecond to the last client.
static uint16_t crc_table[256];

static void InitCrc(void) {
  for (int i = 0; i < 256; ++i) {
    uint16_t c = (uint16_t)i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xA001 : c >> 1;
    crc_table[i] = c;
  }
}

static uint16_t Crc16(const char *p, size_t n) {
  uint16_t c = 0;
  for (size_t i = 0; i < n; ++i) c = (c >> 8) ^ crc_table[(c ^ (uint8_t)p[i]) & 0xFF];
  return c;
}

static int HexVal(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

// seq from 0-0:96.13.0(<hex of "SEQ%010dT%020d">), -1 if absent.
static long long SeqOf(const char *tel, size_t n) {
  static const char kKey[] = "0-0:96.13.0(";
  const char *k = memmem(tel, n, kKey, sizeof kKey - 1);
  if (k == NULL) return -1;
  const char *h = k + sizeof kKey - 1;
  if ((size_t)(tel + n - h) < 26) return -1;
  char txt[14];
  for (int i = 0; i < 13; ++i) {
    int hi = HexVal(h[2 * i]), lo = HexVal(h[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    txt[i] = (char)(hi * 16 + lo);
  }
  if (memcmp(txt, "SEQ", 3) != 0) return -1;
  txt[13] = 0;
  return atoll(txt + 3);
}

static void Feed(Conn *c, long long t, long long kt) {
  for (;;) {
    if (!c->started) {
      char *s = memchr(c->buf, '/', c->len);
      if (s == NULL) {
        c->discarded_head += (long long)c->len;
        c->len = 0;
        return;
      }
      size_t skip = (size_t)(s - c->buf);
      c->discarded_head += (long long)skip;
      memmove(c->buf, s, c->len - skip);
      c->len -= skip;
      c->started = 1;
    }
    char *bang = memchr(c->buf, '!', c->len);
    if (bang == NULL) {
      if (c->len == kBuf) c->len = 0, c->started = 0;  // junk: resync
      return;
    }
    size_t body = (size_t)(bang - c->buf) + 1;
    if (c->len < body + 6) return;
    size_t end = body + 6;
    int crc = 0, valid = c->buf[body + 4] == '\r' && c->buf[body + 5] == '\n';
    for (int i = 0; i < 4 && valid; ++i) {
      int v = HexVal(c->buf[body + i]);
      valid = v >= 0;
      crc = crc * 16 + v;
    }
    if (valid && Crc16(c->buf, body) == crc) {
      ++c->ok;
      long long seq = SeqOf(c->buf, body);
      if (seq >= 0 && c->nrecv < kMaxRecv) c->recv[c->nrecv++] = (Recv){seq, t, kt};
    } else {
      ++c->bad;
    }
    memmove(c->buf, c->buf + end, c->len - end);
    c->len -= end;
    c->started = 0;
  }
}

static int ep;
static struct sockaddr_in addr;

static void Connect(Conn *c) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    c->next_try_ns = NowNs() + 1000000000LL;
    return;
  }
  c->started = 0;
  c->len = 0;
  c->connecting = 1;
  int r = connect(c->fd, (struct sockaddr *)&addr, sizeof addr);
  if (r != 0 && errno != EINPROGRESS) {
    close(c->fd);
    c->fd = -1;
    c->next_try_ns = NowNs() + 1000000000LL;
    return;
  }
  int on = 1;
  setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void Drop(Conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  ++c->disconnects;
  c->next_try_ns = NowNs() + 1000000000LL;
}

int main(int argc, char **argv) {
  int port = 0, n = 1, first_idx = 0;
  double duration = 20;
  const char *out = NULL, *host = "127.0.0.1";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--n")) n = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--first-idx")) first_idx = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--duration")) duration = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--out")) out = argv[i + 1];
    else if (!strcmp(argv[i], "--host")) host = argv[i + 1];
  }
  if (port <= 0 || n <= 0 || out == NULL) {
    fprintf(stderr, "usage: latclient --port P --n N --duration S --out FILE [--first-idx I]\n");
    return 2;
  }
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, host, &addr.sin_addr);
  InitCrc();
  ep = epoll_create1(EPOLL_CLOEXEC);
  Conn *conns = calloc((size_t)n, sizeof(Conn));
  for (int i = 0; i < n; ++i) {
    conns[i].recv = malloc(sizeof(Recv) * kMaxRecv);
    conns[i].fd = -1;
    Connect(&conns[i]);
  }
  // realtime - monotonic, to move SO_TIMESTAMPNS stamps onto the meter's clock.
  struct timespec rt;
  long long m0 = NowNs();
  clock_gettime(CLOCK_REALTIME, &rt);
  const long long rt_offset = rt.tv_sec * 1000000000LL + rt.tv_nsec - (m0 + NowNs()) / 2;
  const long long end = NowNs() + (long long)(duration * 1e9);
  struct epoll_event evs[kMaxEvents];
  static char rbuf[65536];
  long long next_reconnect_scan = 0;
  for (;;) {
    long long now = NowNs();
    if (now >= end) break;
    int ms = (int)((end - now) / 1000000);
    if (ms > 200) ms = 200;
    int k = epoll_wait(ep, evs, kMaxEvents, ms);
    for (int e = 0; e < k; ++e) {
      Conn *c = evs[e].data.ptr;
      if (c->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        c->connecting = 0;
        if (err) {
          Drop(c);
          continue;
        }
        if (c->connected_t == 0) c->connected_t = NowNs();
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        continue;
      }
      char cbuf[CMSG_SPACE(sizeof(struct timespec))];
      struct iovec iov = {rbuf, sizeof rbuf};
      struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                          .msg_controllen = sizeof cbuf};
      ssize_t r = recvmsg(c->fd, &mh, 0);
      long long t = NowNs(), kt = 0;
      for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); r > 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(cm), sizeof ts);
          kt = ts.tv_sec * 1000000000LL + ts.tv_nsec - rt_offset;
        }
      }
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        Drop(c);
        continue;
      }
      c->bytes += r;
      size_t off = 0;
      while (off < (size_t)r) {
        size_t take = (size_t)r - off;
        if (take > kBuf - c->len) take = kBuf - c->len;
        memcpy(c->buf + c->len, rbuf + off, take);
        c->len += take;
        off += take;
        Feed(c, t, kt);
      }
    }
    now = NowNs();
    if (now >= next_reconnect_scan) {
      next_reconnect_scan = now + 100000000LL;
      for (int i = 0; i < n; ++i)
        if (conns[i].fd < 0 && now >= conns[i].next_try_ns) Connect(&conns[i]);
    }
  }
  FILE *f = fopen(out, "w");
  if (f == NULL) {
    perror(out);
    return 1;
  }
  fprintf(f, "{\"port\": %d, \"n\": %d, \"telnet\": false, \"conns\": [", port, n);
  for (int i = 0; i < n; ++i) {
    Conn *c = &conns[i];
    fprintf(f,
            "%s{\"idx\": %d, \"slow\": false, \"bytes\": %lld, \"ok\": %lld, \"bad\": %lld, "
            "\"discarded_head\": %lld, \"first\": \"\", \"iac\": \"\", \"recv\": [",
            i ? ", " : "", first_idx + i, c->bytes, c->ok, c->bad, c->discarded_head);
    for (int j = 0; j < c->nrecv; ++j)
      fprintf(f, "%s[%lld, %lld]", j ? ", " : "", c->recv[j].seq, c->recv[j].t);
    fprintf(f, "], \"krecv\": [");
    for (int j = 0; j < c->nrecv; ++j)
      fprintf(f, "%s[%lld, %lld]", j ? ", " : "", c->recv[j].seq, c->recv[j].kt);
    fprintf(f, "], \"events\": [");
    if (c->connected_t) fprintf(f, "[%lld, \"connected\"]", c->connected_t);
    for (int d = 0; d < c->disconnects; ++d)
      fprintf(f, "%s[0, \"disconnected\"]", (c->connected_t || d) ? ", " : "");
    fprintf(f, "]}");
  }
  fprintf(f, "]}\n");
  fclose(f);
  return 0;
}
