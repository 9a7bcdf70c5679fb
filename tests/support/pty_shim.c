/* Test-only interposer that lets libserialport 0.1.1 open pseudo-terminals,
 * so tests can exercise the gateway's libserialport path (the one real USB
 * adapters take) and not only its termios fallback. libserialport refuses
 * ptys twice: it looks the port up in sysfs (ptys have no node) and its
 * sp_open fails on TIOCMGET (ptys have no modem lines). This fakes a sysfs
 * node for /dev/pts/N and modem lines on ptys. Linked into test binaries
 * only; Debian's libserialport imports these through the PLT. */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int ioctl(int fd, unsigned long req, ...) {           /* fake modem lines on ptys */
  static int (*real)(int, unsigned long, ...);
  if (!real) real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
  va_list ap; va_start(ap, req); void* arg = va_arg(ap, void*); va_end(ap);
  int saved = errno;
  int r = real(fd, req, arg);
  if (r < 0 && errno == ENOTTY &&
      (req == TIOCMGET || req == TIOCMSET || req == TIOCMBIS || req == TIOCMBIC)) {
    if (req == TIOCMGET && arg) *(int*)arg = TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CAR;
    errno = saved;
    return 0;
  }
  return r;
}
static int is_fake_pts(const char* p) { return p && strncmp(p, "/sys/class/tty/pts/", 19) == 0; }
ssize_t readlink(const char* path, char* buf, size_t len) {  /* fake sysfs node for /dev/pts/N */
  static ssize_t (*real)(const char*, char*, size_t);
  if (!real) real = (ssize_t (*)(const char*, char*, size_t))dlsym(RTLD_NEXT, "readlink");
  if (is_fake_pts(path)) {
    static const char fake[] = "../../devices/virtual/tty/pts";  /* no "usb"/"bluetooth" -> NATIVE */
    size_t n = sizeof fake - 1 < len ? sizeof fake - 1 : len;
    memcpy(buf, fake, n); return (ssize_t)n;
  }
  return real(path, buf, len);
}
int __lxstat(int ver, const char* path, struct stat* st) {   /* Debian 0.1.1 lstat()s first */
  (void)ver;
  if (is_fake_pts(path)) { memset(st, 0, sizeof *st); st->st_mode = S_IFLNK | 0777; return 0; }
  return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}
