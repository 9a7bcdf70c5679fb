// Test helpers for every test suite: read a corpus file from tests/data
// (P1GW_TEST_DATA) or any file, list corpus files by suffix, and the corpus
// as whole telegrams or encrypted frames.
#ifndef P1GW_TESTS_SUPPORT_CORPUS_FILES_H_
#define P1GW_TESTS_SUPPORT_CORPUS_FILES_H_

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace p1::testing {

inline std::string CorpusPath(const std::string& name) {
  return std::string(P1GW_TEST_DATA) + "/" + name;
}

// Whole file as bytes; empty string if it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string ReadCorpusFile(const std::string& name) { return ReadFile(CorpusPath(name)); }

// Sorted file names in tests/data ending in `suffix`, minus those ending in
// any of `exclude`.
inline std::vector<std::string> CorpusFiles(const std::string& suffix,
                                            const std::vector<std::string>& exclude = {}) {
  auto ends_with = [](const std::string& s, const std::string& end) {
    return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
  };
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(P1GW_TEST_DATA)) {
    const std::string name = entry.path().filename().string();
    if (!ends_with(name, suffix)) continue;
    if (std::any_of(exclude.begin(), exclude.end(),
                    [&](const std::string& e) { return ends_with(name, e); })) {
      continue;
    }
    out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The corpus text telegrams with a valid CRC line, as whole files.
inline std::vector<std::string> CorpusTelegrams() {
  std::vector<std::string> out;
  for (const auto& n : CorpusFiles(".txt", {".expected.txt", ".key.txt"})) {
    std::string t = ReadCorpusFile(n);
    // Whole telegrams only: '/' first, ends with the '!' line.
    if (t.empty() || t[0] != '/' || t.find('!') == std::string::npos) continue;
    if (t.size() < 2 || t.compare(t.size() - 2, 2, "\r\n") != 0) continue;
    out.push_back(std::move(t));
  }
  return out;
}

// Encrypted frames (.bin): binary data that contains 0xFF bytes.
inline std::vector<std::string> CorpusBinaryFrames() {
  std::vector<std::string> out;
  for (const auto& n : CorpusFiles(".bin")) out.push_back(ReadCorpusFile(n));
  return out;
}

}  // namespace p1::testing

#endif  // P1GW_TESTS_SUPPORT_CORPUS_FILES_H_
