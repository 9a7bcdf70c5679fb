// UvRequest: freed exactly once, by Start when the start call fails and by
// the callback's Adopt when it succeeds; its Extra lives until then.
#include "gateway/loop/uv_request.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "gateway/loop/uv_loop.h"

namespace p1 {
namespace {

// Counts destructions of the request's Extra.
struct Tracked {
  int* destroyed;
  std::string bytes;
  ~Tracked() { ++*destroyed; }
};
using FsWrite = UvRequest<uv_fs_t, Tracked>;

TEST_CASE("a request whose start call fails is freed by Start", "[loop]") {
  int destroyed = 0;
  const int r = FsWrite::Start(FsWrite::Make(&destroyed, "x"), [](uv_fs_t*) { return UV_EINVAL; });
  CHECK(r == UV_EINVAL);
  CHECK(destroyed == 1);
}

TEST_CASE("a started request keeps its bytes until the callback adopts it", "[loop]") {
  int destroyed = 0;
  UvLoop loop;
  const int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  auto w = FsWrite::Make(&destroyed, "telegram");
  uv_buf_t buf = uv_buf_init(w->extra().bytes.data(), 8);
  const int r = FsWrite::Start(std::move(w), [&](uv_fs_t* req) {
    return uv_fs_write(loop.get(), req, fd, &buf, 1, -1, [](uv_fs_t* req) {
      const FsWrite::Ptr done = FsWrite::Adopt(req);
      CHECK(req->result == 8);
      CHECK(done->extra().bytes == "telegram");
    });
  });
  REQUIRE(r == 0);
  CHECK(destroyed == 0);
  loop.Run();
  CHECK(destroyed == 1);
  CHECK(loop.Close());
  close(fd);
}

}  // namespace
}  // namespace p1
