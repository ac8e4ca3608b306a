// SPDX-License-Identifier: Apache-2.0
// Tests for util/sha256.h: FIPS 180-2 vectors, streaming equals one-shot, files hashed as stored.
#include "util/sha256.h"

#include <aiir/error.h>
#include <catch2/catch.hpp>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

TEST_CASE("sha256_hex matches the FIPS 180-2 test vectors", "[sha256]") {
  CHECK(aiir::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(aiir::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(aiir::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmkmnlmnomnopnopq") !=
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");  // near-miss
  CHECK(aiir::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(aiir::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("streaming Sha256 equals one-shot for any split, and resets", "[sha256]") {
  std::string data;
  for (int i = 0; i < 5000; ++i) data += static_cast<char>(i * 7 + 3);
  const std::string expected = aiir::sha256_hex(data);
  for (std::size_t chunk : {1u, 63u, 64u, 65u, 4096u}) {
    aiir::Sha256 h;
    for (std::size_t pos = 0; pos < data.size(); pos += chunk) {
      h.update(std::string_view(data).substr(pos, chunk));
    }
    CHECK(h.final_hex() == expected);
    h.reset();
    h.update("abc");
    CHECK(h.final_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
  aiir::Sha256 moved_from;
  moved_from.update("ab");
  aiir::Sha256 moved = std::move(moved_from);
  moved.update("c");
  CHECK(moved.final_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256_file_hex hashes the stored bytes, read-only", "[sha256]") {
  std::string tmpl = (fs::temp_directory_path() / "aiir-sha256-XXXXXX").string();
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  const fs::path dir = tmpl;
  const fs::path file = dir / "input.json.gz";
  // Bytes of a gzip header: hashed as stored, never decompressed.
  const std::string stored("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", 17);
  { std::ofstream(file, std::ios::binary) << stored; }
  fs::permissions(file, fs::perms::owner_read);  // read-only evidence
  const auto before = fs::last_write_time(file);

  std::error_code ec;
  CHECK(aiir::sha256_file_hex(file, ec) == aiir::sha256_hex(stored));
  CHECK_FALSE(ec);
  CHECK(aiir::sha256_file_hex(file) == aiir::sha256_hex(stored));
  CHECK(fs::last_write_time(file) == before);

  const fs::path empty = dir / "empty";
  { std::ofstream(empty, std::ios::binary); }
  CHECK(aiir::sha256_file_hex(empty) == aiir::sha256_hex(""));

  CHECK(aiir::sha256_file_hex(dir / "absent", ec).empty());
  CHECK(ec);
  CHECK_THROWS_AS(aiir::sha256_file_hex(dir / "absent"), aiir::Error);

  fs::permissions(file, fs::perms::owner_all);
  fs::remove_all(dir);
}
