// SendBatch on socket pairs: what one submission delivers and reports.
// Skipped (with a warning) where the kernel refuses io_uring, unless
// P1GW_IO_URING asks for it.
#include "proxy/send_batch.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "tests/proxy/batch_mode.h"
#include "tests/support/loop_helpers.h"

namespace p1 {
namespace {

using testing::LoopFixture;

struct Recorder : SendBatch::Client {
  std::vector<int> results;
  void OnBatchSent(const OutChunk& /*chunk*/, int result) override { results.push_back(result); }
};

struct Pair {
  int ours = -1;
  int theirs = -1;
  Pair() {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    ours = fds[0];
    theirs = fds[1];
  }
  ~Pair() {
    if (ours >= 0) ::close(ours);
    if (theirs >= 0) ::close(theirs);
  }
  std::string ReadAll() const {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(theirs, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
};

std::unique_ptr<SendBatch> MakeBatch(uv_loop_t* loop, SendBatch::Options options = {}) {
  std::string why;
  auto batch = SendBatch::Create(loop, &why, options);
  if (!batch && testing::BatchModeName() == "off") WARN("io_uring unavailable, skipped: " << why);
  if (!batch) REQUIRE(testing::BatchModeName() == "off");
  return batch;
}

OutChunk Chunk(std::string text) { return OutChunk::Of(std::make_shared<const std::string>(text)); }

TEST_CASE("one batch delivers a chunk to 300 sockets, in parts when the ring is smaller") {
  LoopFixture f;
  SendBatch::Options options;
  options.entries = 64;
  auto batch = MakeBatch(f.loop(), options);
  if (!batch) return;
  const OutChunk chunk = Chunk(std::string(900, 'x') + "!ABCD\r\n");
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<Recorder> clients(300);
  for (int i = 0; i < 300; ++i) pairs.push_back(std::make_unique<Pair>());
  batch->Begin();
  for (int i = 0; i < 300; ++i) batch->Add(&clients[static_cast<size_t>(i)], pairs[i]->ours, chunk);
  CHECK(batch->submits() == 4);  // full rings went early, the rest waits for End
  batch->End();
  CHECK(batch->submits() == 5);
  CHECK(batch->sends() == 300);
  for (int i = 0; i < 300; ++i) {
    INFO("client " << i);
    REQUIRE(clients[static_cast<size_t>(i)].results ==
            std::vector<int>{static_cast<int>(chunk.data.size())});
    CHECK(pairs[static_cast<size_t>(i)]->ReadAll() == chunk.data);
  }
  CHECK(batch->late_completions() == 0);
  CHECK(chunk.owner.use_count() == 1);  // the batch holds no reference after reporting
}

TEST_CASE("a full socket reports what it took or EAGAIN, a closed peer EPIPE, within End") {
  LoopFixture f;
  auto batch = MakeBatch(f.loop());
  if (!batch) return;
  Pair full, gone, fine;
  int small = 4096;
  REQUIRE(setsockopt(full.ours, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
  const std::string filler(4096, 'f');
  while (::write(full.ours, filler.data(), filler.size()) > 0) {
  }
  REQUIRE(errno == EAGAIN);
  ::close(gone.theirs);
  gone.theirs = -1;
  Recorder r_full, r_gone, r_fine;
  const OutChunk chunk = Chunk(std::string(100000, 'y'));
  batch->Begin();
  batch->Add(&r_full, full.ours, chunk);
  batch->Add(&r_gone, gone.ours, chunk);
  batch->Add(&r_fine, fine.ours, Chunk("short"));
  batch->End();
  REQUIRE(r_full.results.size() == 1);
  CHECK(r_full.results[0] == -EAGAIN);
  CHECK(r_gone.results == std::vector<int>{-EPIPE});  // and no SIGPIPE
  CHECK(r_fine.results == std::vector<int>{5});
  CHECK(fine.ReadAll() == "short");
}

TEST_CASE("batches nest: only the outermost End submits") {
  LoopFixture f;
  auto batch = MakeBatch(f.loop());
  if (!batch) return;
  Pair a, b;
  Recorder ra, rb;
  batch->Begin();
  batch->Add(&ra, a.ours, Chunk("one"));
  batch->Begin();
  batch->Add(&rb, b.ours, Chunk("two"));
  batch->End();
  CHECK(batch->open());
  CHECK(rb.results.empty());
  batch->End();
  CHECK_FALSE(batch->open());
  CHECK(batch->submits() == 1);
  CHECK(ra.results == std::vector<int>{3});
  CHECK(rb.results == std::vector<int>{3});
}

TEST_CASE("late completions arrive through the loop; a forgotten client is not told") {
  LoopFixture f;
  SendBatch::Options options;
  options.late = true;
  auto batch = MakeBatch(f.loop(), options);
  if (!batch) return;
  Pair a, b;
  Recorder ra, rb;
  const OutChunk chunk = Chunk("telegram");
  batch->Begin();
  batch->Add(&ra, a.ours, chunk);
  batch->Add(&rb, b.ours, chunk);
  batch->Forget(&rb);
  batch->End();
  CHECK(ra.results.empty());  // not reported by End()
  // Nothing else keeps this loop alive: the pending sends must.
  REQUIRE(f.PumpUntil([&] { return batch->late_completions() == 2; }));
  CHECK(batch->in_flight() == 0);
  CHECK(ra.results == std::vector<int>{8});
  CHECK(rb.results.empty());
  CHECK(a.ReadAll() == "telegram");
  CHECK(b.ReadAll() == "telegram");  // the send itself still happened
  CHECK(chunk.owner.use_count() == 1);
}

}  // namespace
}  // namespace p1
