// Acceptor: a listening TCP socket on the loop that accepts connections
// itself, so that running out of file descriptors is seen and counted
// instead of libuv closing clients silently. A spare descriptor is given up
// to take each pending client and close it at once (it sees the connection
// end instead of hanging in the backlog); without one, accepting pauses
// briefly instead of spinning on a readable socket. At most
// kMaxAcceptsPerTurn connections are taken per loop turn; the rest wait a
// turn, after the loop served everything else.
#ifndef P1GW_GATEWAY_LOOP_ACCEPTOR_H_
#define P1GW_GATEWAY_LOOP_ACCEPTOR_H_

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "gateway/loop/uv_handle.h"

namespace p1 {

class Acceptor {
 public:
  static constexpr int kBacklog = 1024;
  static constexpr int kMaxAcceptsPerTurn = 64;
  static constexpr uint64_t kRetryMs = 250;

  struct Callbacks {
    // A new non-blocking, close-on-exec connection; the callee owns `fd`.
    std::function<void(int fd, const sockaddr_storage& peer)> accepted;
    // Out of descriptors: `refused` pending clients were closed unserved
    // (0 when not even the spare descriptor was left).
    std::function<void(uint64_t refused)> out_of_fds;
    // Any other accept(2) failure, as a libuv error code.
    std::function<void(int uv_error)> failed;
  };

  Acceptor(uv_loop_t* loop, Callbacks callbacks);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Binds like uv_tcp_bind (SO_REUSEADDR; "::" is dual stack) and starts
  // accepting. 0 or a libuv error code.
  int Listen(const sockaddr_storage& addr);
  void Close();
  bool listening() const { return fd_ >= 0; }
  uint16_t port() const;  // bound port, 0 when not listening

 private:
  static void OnReadable(uv_poll_t* poll, int status, int events);
  static void OnRetry(uv_timer_t* timer);
  void AcceptPending();
  void RefuseForFds();

  uv_loop_t* loop_;
  Callbacks callbacks_;
  int fd_ = -1;          // owned; closed after poll_
  int reserve_fd_ = -1;  // the spare descriptor
  UvHandle<uv_poll_t> poll_;
  UvHandle<uv_timer_t> retry_timer_;
};

// A numeric IPv4 or IPv6 host ("", "0.0.0.0", "::", "[::1]", "127.0.0.1";
// empty means 0.0.0.0) and a port as a socket address. 0 or a libuv error.
int NumericSocketAddress(std::string host, uint16_t port, sockaddr_storage* out);

// The libuv errors that mean "out of descriptors or memory" for a new socket.
bool IsOutOfFds(int uv_error);

}  // namespace p1

#endif  // P1GW_GATEWAY_LOOP_ACCEPTOR_H_
