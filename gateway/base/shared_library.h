// SharedLibrary: a library opened at run time, for a dependency only some
// configurations use. Linked, it (and every library it needs) would be
// mapped into each gateway, used or not. Opened for the life of the process.
#ifndef P1GW_GATEWAY_BASE_SHARED_LIBRARY_H_
#define P1GW_GATEWAY_BASE_SHARED_LIBRARY_H_

#include <dlfcn.h>

#include <string>

namespace p1 {

class SharedLibrary {
 public:
  // dlopen(name, RTLD_NOW | RTLD_LOCAL); on failure error() says why.
  explicit SharedLibrary(const char* name) : name_(name), lib_(dlopen(name, RTLD_NOW | RTLD_LOCAL)) {
    if (lib_ == nullptr) {
      const char* e = dlerror();
      error_ = e != nullptr ? e : std::string("cannot load ") + name;
    }
  }

  // *out = the function `symbol`; a missing one sets error() (the first).
  template <typename F>
  void Get(const char* symbol, F* out) {
    *out = lib_ != nullptr ? reinterpret_cast<F>(dlsym(lib_, symbol)) : nullptr;
    if (*out == nullptr && error_.empty()) error_ = name_ + " lacks " + symbol;
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  std::string name_;
  void* lib_;
  std::string error_;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_BASE_SHARED_LIBRARY_H_
