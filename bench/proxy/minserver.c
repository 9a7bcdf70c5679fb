// The floor for the proxy benchmark: a tty fanned out to TCP clients with
// nothing else. One epoll loop; each read() of the tty goes to every client
// as one send() per client (--mode send) or as one io_uring submission of
// all the sends (--mode uring). No framing, no queues: a client that does
// not take a whole chunk loses the rest, one that errors is closed. Only for
// measuring against (bench/proxy/run.sh SERVER=minimal-send|minimal-uring).
//   minserver --tty PATH --port PORT [--mode send|uring] [--max-clients N]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

static int clients[8192];
static int n_clients;

static void drop_client(int i) {
  close(clients[i]);
  clients[i] = clients[--n_clients];
}

static void fan_out_send(const char* buf, size_t n) {
  for (int i = 0; i < n_clients; ++i) {
    if (send(clients[i], buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
      drop_client(i--);
    }
  }
}

static struct io_uring ring;

static void fan_out_uring(const char* buf, size_t n) {
  int queued = 0;
  for (int i = 0; i < n_clients; ++i) {
    struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == NULL) {  // ring full: submit this part
      io_uring_submit(&ring);
      sqe = io_uring_get_sqe(&ring);
    }
    io_uring_prep_send(sqe, clients[i], buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, (unsigned)clients[i]);
    ++queued;
  }
  if (queued == 0) return;
  io_uring_submit(&ring);
  // MSG_DONTWAIT sends complete during the submit; wait for any that did not.
  int done = 0;
  while (done < queued) {
    struct io_uring_cqe* cqe;
    if (io_uring_wait_cqe(&ring, &cqe) != 0) break;
    const int fd = (int)io_uring_cqe_get_data64(cqe);
    const int res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    ++done;
    if (res < 0 && res != -EAGAIN) {
      for (int i = 0; i < n_clients; ++i) {
        if (clients[i] == fd) {
          drop_client(i);
          break;
        }
      }
    }
  }
}

int main(int argc, char** argv) {
  const char* tty = NULL;
  int port = 0, uring = 0, max_clients = 8192;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--tty") == 0) tty = argv[i + 1];
    else if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--mode") == 0) uring = strcmp(argv[i + 1], "uring") == 0;
    else if (strcmp(argv[i], "--max-clients") == 0) max_clients = atoi(argv[i + 1]);
  }
  if (tty == NULL || port <= 0) {
    fprintf(stderr, "usage: minserver --tty PATH --port PORT [--mode send|uring] [--max-clients N]\n");
    return 2;
  }
  if (max_clients > 8192) max_clients = 8192;
  const int dev = open(tty, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (dev < 0) {
    perror(tty);
    return 1;
  }
  struct termios t;
  if (tcgetattr(dev, &t) == 0) {
    cfmakeraw(&t);
    cfsetspeed(&t, B115200);
    tcsetattr(dev, TCSANOW, &t);
  }
  const int lst = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(lst, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(lst, 4096) != 0) {
    perror("listen");
    return 1;
  }
  if (uring && io_uring_queue_init(1024, &ring, 0) != 0) {
    fprintf(stderr, "io_uring unavailable\n");
    return 1;
  }
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = dev};
  epoll_ctl(ep, EPOLL_CTL_ADD, dev, &ev);
  ev.data.fd = lst;
  epoll_ctl(ep, EPOLL_CTL_ADD, lst, &ev);
  static char buf[65536];
  for (;;) {
    struct epoll_event got[2];
    const int n = epoll_wait(ep, got, 2, -1);
    for (int k = 0; k < n; ++k) {
      if (got[k].data.fd == lst) {
        int c;
        while ((c = accept4(lst, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          if (n_clients < max_clients) {
            clients[n_clients++] = c;
          } else {
            close(c);
          }
        }
        continue;
      }
      const ssize_t r = read(dev, buf, sizeof buf);
      if (r > 0) {
        if (uring) {
          fan_out_uring(buf, (size_t)r);
        } else {
          fan_out_send(buf, (size_t)r);
        }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        return 0;  // the meter's side went away
      }
    }
  }
}
