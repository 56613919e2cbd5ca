#include "denormals.h"

#include "parallel.h"

#include <ATen/Parallel.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace ipcae {

namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr unsigned kFlushBits = 0x8040;  // MXCSR: FTZ (bit 15) and DAZ (bit 6)
unsigned long long read_mode() { return _mm_getcsr(); }
void write_mode(unsigned long long m) { _mm_setcsr(static_cast<unsigned>(m)); }
void set_flush() { _mm_setcsr(_mm_getcsr() | kFlushBits); }
bool is_flushing() { return (_mm_getcsr() & kFlushBits) == kFlushBits; }
#elif defined(__aarch64__)
constexpr unsigned long long kFlushBits = 1ull << 24;  // FPCR.FZ
unsigned long long read_mode() {
  unsigned long long m;
  asm volatile("mrs %0, fpcr" : "=r"(m));
  return m;
}
void write_mode(unsigned long long m) { asm volatile("msr fpcr, %0" : : "r"(m)); }
void set_flush() { write_mode(read_mode() | kFlushBits); }
bool is_flushing() { return (read_mode() & kFlushBits) != 0; }
#else
unsigned long long read_mode() { return 0; }
void write_mode(unsigned long long) {}
void set_flush() {}
bool is_flushing() { return false; }
#endif

// IPCAE_DENORMALS=keep leaves the mode alone (to measure what flushing saves, or to compare bits
// with a build from before it).
bool keep_denormals() {
  static const bool keep = [] {
    const char* v = std::getenv("IPCAE_DENORMALS");
    return v != nullptr && std::string(v) == "keep";
  }();
  return keep;
}

}  // namespace

void flush_denormals(int threads) {
  if (keep_denormals()) return;
  set_flush();  // threads created from here on inherit the mode
  const int team = std::max({1, threads, omp_get_max_threads()});
#pragma omp parallel num_threads(team)
  set_flush();
  const int64_t ops = at::get_num_threads();
  at::parallel_for(0, ops, 1, [](int64_t, int64_t) { set_flush(); });
}

bool training_flushes_denormals(int threads) {
  bool all = false;
  std::thread probe([&] {
    enter_job(at::get_num_threads(), threads);  // as every training job starts
    const auto underflows = [] {
      volatile float tiny = 1e-30f, scale = 1e-10f;
      return tiny * scale == 0.0f && is_flushing();
    };
    int ok = 1;
#pragma omp parallel num_threads(std::max(1, threads)) reduction(min : ok)
    ok = underflows() ? 1 : 0;
    all = ok == 1 && underflows();
  });
  probe.join();
  return all;
}

FloatModeGuard::FloatModeGuard() : saved_(read_mode()) {}
FloatModeGuard::~FloatModeGuard() { write_mode(saved_); }

}  // namespace ipcae
