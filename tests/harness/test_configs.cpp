// Bad configs are refused with the file, the field (or line and column) and the accepted values.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "harness/common/errors.hpp"
#include "harness/config/config_catalog.hpp"
#include "harness/hardware/site_config.hpp"
#include "harness/hardware/sku_config.hpp"
#include "harness/hardware/sku_match.hpp"
#include "harness/model/model_config.hpp"
#include "tests/support/usage_message.hpp"

namespace tb {
namespace {

const char* kGoodModel = R"(
name = "tiny"
source = "test"
[architecture]
layers = 2
hidden = 64
heads = 4
ffn_hidden = 256
vocab = 1000
seq_len = 128
mlp = "gelu"
[training]
tokens = 1e9
)";

using testing::message_of;
std::string replace(const std::string& text, const std::string& from, const std::string& to) {
  return testing::replace_once(text, from, to);
}

TEST(Configs, GoodModelParses) {
  ModelConfig m = parse_model_toml(kGoodModel, "tiny.toml");
  EXPECT_EQ(m.kv_heads, 4);
  EXPECT_EQ(m.head_dim, 16);
}

TEST(Configs, MalformedTomlNamesFileLineAndColumn) {
  const std::string msg = message_of([] { parse_model_toml("name = \"x\"\nlayers = = 3\n", "bad.toml"); });
  EXPECT_NE(msg.find("bad.toml:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed TOML"), std::string::npos) << msg;
}

// A field the parser does not know is a typo, not a comment: `kv_head` for `kv_heads` would
// otherwise silently train full multi-head attention.
TEST(Configs, UnknownFieldsAreRefusedNamingTheTableAndItsFields) {
  std::string msg = message_of([] { parse_model_toml(replace(kGoodModel, "heads = 4", "heads = 4\nkv_head = 2"), "m.toml"); });
  EXPECT_NE(msg.find("m.toml: field 'architecture.kv_head' is not a field"), std::string::npos) << msg;
  EXPECT_NE(msg.find("kv_heads"), std::string::npos) << msg;  // among the accepted
  msg = message_of([] { parse_model_toml(std::string(kGoodModel) + "[experts]\ncount = 8\n", "m.toml"); });
  EXPECT_NE(msg.find("'experts.count' is not a field"), std::string::npos) << msg;
  // [moe] is known, and half of it is named as such.
  msg = message_of([] { parse_model_toml(std::string(kGoodModel) + "[moe]\nexperts = 8\n", "m.toml"); });
  EXPECT_NE(msg.find("'moe.experts_per_token' is missing"), std::string::npos) << msg;
  msg = message_of([] { parse_model_toml(replace(kGoodModel, "name = \"tiny\"", "name = \"tiny\"\nlayerz = 3"), "m.toml"); });
  EXPECT_NE(msg.find("'layerz'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the top level"), std::string::npos) << msg;
}

// An assumed batch says why, and explains a batch that is there.
TEST(Configs, AssumedBatchNeedsTheBatchAndAReason) {
  const std::string with_batch = replace(kGoodModel, "tokens = 1e9", "tokens = 1e9\nbatch_sequences = 64");
  const ModelConfig m = parse_model_toml(replace(with_batch, "batch_sequences = 64",
                                                 "batch_sequences = 64\nbatch_assumed = \"not published\""),
                                         "m.toml");
  EXPECT_EQ(m.batch_assumed, "not published");
  EXPECT_TRUE(parse_model_toml(with_batch, "m.toml").batch_assumed.empty());
  std::string msg = message_of(
      [] { parse_model_toml(replace(kGoodModel, "tokens = 1e9", "tokens = 1e9\nbatch_assumed = \"x\""), "m.toml"); });
  EXPECT_NE(msg.find("m.toml: field 'training.batch_assumed'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'training.batch_sequences'"), std::string::npos) << msg;
  msg = message_of([&] {
    parse_model_toml(replace(with_batch, "batch_sequences = 64", "batch_sequences = 64\nbatch_assumed = \"\""),
                     "m.toml");
  });
  EXPECT_NE(msg.find("'training.batch_assumed' is empty"), std::string::npos) << msg;
}

// An estimated token count says how, and explains a count that is there.
TEST(Configs, EstimatedTokensNeedTheTokensAndAReason) {
  const ModelConfig m =
      parse_model_toml(replace(kGoodModel, "tokens = 1e9", "tokens = 1e9\ntokens_estimated = \"one epoch\""), "m.toml");
  EXPECT_EQ(m.tokens_estimated, "one epoch");
  EXPECT_TRUE(parse_model_toml(kGoodModel, "m.toml").tokens_estimated.empty());
  std::string msg = message_of(
      [] { parse_model_toml(replace(kGoodModel, "tokens = 1e9", "tokens_estimated = \"x\""), "m.toml"); });
  EXPECT_NE(msg.find("m.toml: field 'training.tokens_estimated'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'training.tokens', which is not given"), std::string::npos) << msg;
  msg = message_of(
      [] { parse_model_toml(replace(kGoodModel, "tokens = 1e9", "tokens = 1e9\ntokens_estimated = \"\""), "m.toml"); });
  EXPECT_NE(msg.find("'training.tokens_estimated' is empty"), std::string::npos) << msg;
}

TEST(Configs, VocabPadMultipleDefaultsToMegatronsAndIsChecked) {
  EXPECT_EQ(parse_model_toml(kGoodModel, "m.toml").vocab_pad_multiple, 128);
  EXPECT_EQ(parse_model_toml(replace(kGoodModel, "vocab = 1000", "vocab = 1000\nvocab_pad_multiple = 64"), "m.toml")
                .vocab_pad_multiple,
            64);
  const std::string msg = message_of(
      [] { parse_model_toml(replace(kGoodModel, "vocab = 1000", "vocab = 1000\nvocab_pad_multiple = 0"), "m.toml"); });
  EXPECT_NE(msg.find("m.toml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("architecture.vocab_pad_multiple"), std::string::npos) << msg;
}

TEST(Configs, HeadsNotDividingHiddenIsRefused) {
  const std::string msg = message_of([] { parse_model_toml(replace(kGoodModel, "heads = 4", "heads = 5"), "m.toml"); });
  EXPECT_NE(msg.find("architecture.heads"), std::string::npos) << msg;
}

TEST(Configs, KvHeadsNotDividingHeadsIsRefused) {
  const std::string msg = message_of(
      [] { parse_model_toml(replace(kGoodModel, "heads = 4", "heads = 4\nkv_heads = 3"), "m.toml"); });
  EXPECT_NE(msg.find("architecture.kv_heads"), std::string::npos) << msg;
}

TEST(Configs, NonPositiveMissingAndAbsurdValuesAreRefusedByName) {
  EXPECT_NE(message_of([] { parse_model_toml(replace(kGoodModel, "layers = 2", "layers = 0"), "m.toml"); })
                .find("architecture.layers"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_model_toml(replace(kGoodModel, "layers = 2\n", ""), "m.toml"); })
                .find("'architecture.layers' is missing"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_model_toml(replace(kGoodModel, "vocab = 1000", "vocab = 100000000000"), "m.toml"); })
                .find("absurdly large"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_model_toml(replace(kGoodModel, "tokens = 1e9", "tokens = nan"), "m.toml"); })
                .find("training.tokens"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_model_toml(replace(kGoodModel, "tokens = 1e9", "tokens = -1.0"), "m.toml"); })
                .find("training.tokens"),
            std::string::npos);
}

TEST(Configs, UnknownChoiceListsAcceptedValues) {
  const std::string msg =
      message_of([] { parse_model_toml(replace(kGoodModel, "mlp = \"gelu\"", "mlp = \"relu\""), "m.toml"); });
  EXPECT_NE(msg.find("architecture.mlp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gelu, swiglu"), std::string::npos) << msg;
}

TEST(Configs, UnknownNamesListTheValidOnes) {
  const std::string model = message_of([] { load_model("gpt5"); });
  EXPECT_NE(model.find("gpt3-175b"), std::string::npos) << model;
  const std::string sku = message_of([] { load_sku("h900"); });
  EXPECT_NE(sku.find("h100-sxm"), std::string::npos) << sku;
  const std::string site = message_of([] { load_site("900p"); });
  EXPECT_NE(site.find("500p"), std::string::npos) << site;
}

TEST(Configs, SkusHaveDenseDatasheetPeaks) {
  SkuConfig h100 = load_sku("h100-sxm");
  EXPECT_DOUBLE_EQ(h100.peak_tflops_for(DType::BF16), 989);
  EXPECT_DOUBLE_EQ(h100.peak_tflops_for(DType::FP8), 1979);
  EXPECT_DOUBLE_EQ(h100.memory_bandwidth_tb_s, 3.35);
  EXPECT_DOUBLE_EQ(load_sku("a100-sxm-80g").peak_tflops_for(DType::BF16), 312);
  EXPECT_THROW(load_sku("a100-sxm-80g").peak_tflops_for(DType::FP8), UsageError);
  EXPECT_DOUBLE_EQ(load_sku("h200").memory_gb, 141);
  for (const char* name : {"h100-sxm", "h100-pcie", "h200", "a100-sxm-80g", "b200", "l40s", "rtx4090"}) {
    SkuConfig s = load_sku(name);
    EXPECT_FALSE(s.source.empty()) << name;
    EXPECT_GT(s.tdp_w, 0) << name;
  }
}

// [memory] usable_gib, where a config gives one, is the capacity every fit uses: nvidia-smi's
// 81,559 MiB / 1024 = 79.65 GiB for the H100 SXM, 46,068 / 1024 = 44.99 of the L40S's 48; the A100
// config gives none and keeps its nominal 80. Never above the nominal, never zero or negative.
TEST(Configs, UsableMemoryIsTheCapacityWhereGivenAndNeverAboveNominal) {
  const SkuConfig h100 = load_sku("h100-sxm");
  EXPECT_DOUBLE_EQ(h100.memory_gb, 80);
  EXPECT_DOUBLE_EQ(h100.capacity_gib(), 79.65);
  EXPECT_EQ(h100.capacity_text(), "79.65 GiB usable of 80");
  EXPECT_DOUBLE_EQ(load_sku("l40s").capacity_gib(), 44.99);
  const SkuConfig a100 = load_sku("a100-sxm-80g");
  EXPECT_FALSE(a100.usable_gib.has_value());
  EXPECT_DOUBLE_EQ(a100.capacity_gib(), 80);
  EXPECT_EQ(a100.capacity_text(), "80 GiB");
  for (const auto& name : config::available_names(config::ConfigKind::Sku)) {
    const SkuConfig s = load_sku(name);
    EXPECT_LE(s.capacity_gib(), s.memory_gb) << name;
    EXPECT_GT(s.capacity_gib(), 0.9 * s.memory_gb) << name;  // a typo in GB, not GiB, would be far off
  }
  const std::string path = ::testing::TempDir() + "/usable_sku.toml";
  auto write = [&](const std::string& usable) {
    std::ofstream f(path);
    f << "name = \"x\"\nsource = \"test\"\n[peak_tflops]\nbf16 = 100\n[memory]\ngb = 80\nusable_gib = " << usable
      << "\nbandwidth_tb_s = 1\n[power]\ntdp_w = 100\n";
  };
  write("80");  // the nominal itself is allowed
  EXPECT_DOUBLE_EQ(load_sku(path).capacity_gib(), 80);
  for (const auto& [bad, why] : std::vector<std::pair<std::string, std::string>>{
           {"80.5", "is above memory.gb = 80"},
           {"0", "must be positive (got 0)"},
           {"-79.1", "must not be negative (got -79.1)"},
           {"\"79.1\"", "must be a number"}}) {
    write(bad);
    const std::string msg = message_of([&] { load_sku(path); });
    EXPECT_NE(msg.find("usable_sku.toml"), std::string::npos) << bad << ": " << msg;
    EXPECT_NE(msg.find("memory.usable_gib"), std::string::npos) << bad << ": " << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << bad << ": " << msg;
    EXPECT_THROW(load_sku(path), UsageError) << bad;
  }
}

// Sustained figures (what `trainbench health` judges against) are measurements: below the dense
// peak of their dtype, and never without a source.
TEST(Configs, SustainedGemmFiguresSitBelowPeakAndCiteASource) {
  EXPECT_DOUBLE_EQ(load_sku("h100-sxm").sustained_gemm_tflops.at(DType::BF16), 795);
  EXPECT_DOUBLE_EQ(load_sku("a100-sxm-80g").sustained_gemm_tflops.at(DType::BF16), 271);
  EXPECT_TRUE(load_sku("l40s").sustained_gemm_tflops.empty());
  for (const auto& name : config::available_names(config::ConfigKind::Sku)) {
    const SkuConfig s = load_sku(name);
    for (const auto& [dtype, tflops] : s.sustained_gemm_tflops) {
      EXPECT_LT(tflops, s.peak_tflops_for(dtype)) << name << " " << to_string(dtype);
      EXPECT_GT(tflops, 0.5 * s.peak_tflops_for(dtype)) << name << " " << to_string(dtype);
    }
    EXPECT_EQ(s.sustained_gemm_tflops.empty(), s.sustained_source.empty()) << name;
  }
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/no_source_sku.toml";
  {
    std::ofstream f(path);
    f << "name = \"x\"\nsource = \"test\"\n[peak_tflops]\nbf16 = 100\n[memory]\ngb = 8\nbandwidth_tb_s = 1\n"
         "[power]\ntdp_w = 100\n[sustained]\ngemm_tflops = { bf16 = 80 }\n";
  }
  const std::string msg = message_of([&] { load_sku(path); });
  EXPECT_NE(msg.find("sustained.source"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no_source_sku.toml"), std::string::npos) << msg;
}

TEST(Configs, SkuMatchesCudaDeviceNames) {
  auto h100 = match_sku("NVIDIA H100 80GB HBM3", 79.6);
  ASSERT_TRUE(h100);
  EXPECT_EQ(h100->name, "h100-sxm");
  auto h200 = match_sku("NVIDIA H200", 139.8);
  ASSERT_TRUE(h200);
  EXPECT_EQ(h200->name, "h200");
  EXPECT_FALSE(match_sku("Some Unknown Accelerator", 16));
  auto h800 = match_sku("NVIDIA H800", 79.6);
  ASSERT_TRUE(h800);
  EXPECT_EQ(h800->name, "h800");
  EXPECT_FALSE(match_sku("NVIDIA H800 PCIe", 79.6));
}

// Every shipped config against the names CUDA gives real cards (cudaGetDeviceProperties, as
// nvidia-smi prints them): each part its own config, and a variant of it (words after the base
// name), or another chip whose name contains it, none.
TEST(Configs, SkuMatchingTellsVariantsApart) {
  const std::vector<std::pair<std::string, double>> own = {
      {"NVIDIA H100 80GB HBM3", 79.6},   {"NVIDIA H100 PCIe", 79.6},       {"NVIDIA H200", 139.8},
      {"NVIDIA H800", 79.6},             {"NVIDIA H800 80GB HBM3", 79.6},  {"NVIDIA A100-SXM4-80GB", 79.2},
      {"NVIDIA B200", 179.1},            {"NVIDIA L40S", 47.7},            {"NVIDIA GeForce RTX 4090", 23.6}};
  const std::vector<std::string> expected = {"h100-sxm", "h100-pcie", "h200",     "h800",   "h800",
                                             "a100-sxm-80g", "b200",  "l40s",     "rtx4090"};
  for (size_t i = 0; i < own.size(); ++i) {
    const auto sku = match_sku(own[i].first, own[i].second);
    ASSERT_TRUE(sku) << own[i].first;
    EXPECT_EQ(sku->name, expected[i]) << own[i].first;
    EXPECT_EQ(unmatched_sku_note(own[i].first, own[i].second), "") << own[i].first;
  }
  const std::vector<std::pair<std::string, double>> none = {
      {"NVIDIA H200 NVL", 139.8},          {"NVIDIA H100 NVL", 93.6},
      {"NVIDIA H800 PCIe", 79.6},          {"NVIDIA H800 NVL", 93.6},
      {"NVIDIA GeForce RTX 4090 D", 23.6}, {"NVIDIA GeForce RTX 4090 Laptop GPU", 16.0},
      {"NVIDIA GH200 480GB", 95.0},        {"NVIDIA GB200", 184.0},
      {"NVIDIA A100 80GB PCIe", 79.2},     {"NVIDIA A100-SXM4-40GB", 39.4},
      {"NVIDIA L40", 47.7},                {"NVIDIA H100 80GB HBM3 MIG 1g.10gb", 9.8}};
  for (const auto& [name, gb] : none) EXPECT_FALSE(match_sku(name, gb)) << name;
}

TEST(Configs, DeviceNameMatchesAtTheEndAndAtAWordStart) {
  EXPECT_TRUE(device_name_matches("NVIDIA H200", "H200"));
  EXPECT_TRUE(device_name_matches("NVIDIA H200", "NVIDIA H200"));
  EXPECT_TRUE(device_name_matches("NVIDIA H800", "NVIDIA H800$"));  // older configs' anchor
  EXPECT_TRUE(device_name_matches("NVIDIA A100-SXM4-80GB", "SXM4-80GB"));
  EXPECT_FALSE(device_name_matches("NVIDIA H200 NVL", "H200"));
  EXPECT_FALSE(device_name_matches("NVIDIA GH200", "H200"));
  EXPECT_FALSE(device_name_matches("H200", "NVIDIA H200"));
  EXPECT_FALSE(device_name_matches("NVIDIA H200", ""));
  EXPECT_EQ(chip_word("NVIDIA GeForce RTX 4090 Laptop GPU"), "4090");
  EXPECT_EQ(chip_word("A100-SXM4-80GB"), "A100");
  EXPECT_EQ(chip_word("NVIDIA"), "");
}

// A device that matches no config exactly gets one note: the configs of its chip it is a variant
// of, and that it is judged as an unknown GPU (no peak, no verdict from a datasheet) until --sku.
TEST(Configs, AVariantGetsOneNoteNamingTheConfigItIsNot) {
  const std::string nvl = unmatched_sku_note("NVIDIA H200 NVL", 139.8);
  EXPECT_NE(nvl.find("no SKU config matches the device name \"NVIDIA H200 NVL\" exactly: a variant of the chip of "
                     "h200 (matches \"H200\"), which does not describe it"),
            std::string::npos)
      << nvl;
  EXPECT_NE(nvl.find("treated as an unknown GPU: no datasheet peak, so no % of peak or MFU"), std::string::npos) << nvl;
  EXPECT_NE(nvl.find("--sku NAME"), std::string::npos) << nvl;
  EXPECT_EQ(std::count(nvl.begin(), nvl.end(), '\n'), 1) << nvl;
  const std::string laptop = unmatched_sku_note("NVIDIA GeForce RTX 4090 Laptop GPU", 16);
  EXPECT_NE(laptop.find("a variant of the chip of rtx4090"), std::string::npos) << laptop;
  // The H100 NVL shares its chip with both H100 configs, and is neither.
  const std::string h100nvl = unmatched_sku_note("NVIDIA H100 NVL", 93.6);
  EXPECT_NE(h100nvl.find("h100-pcie (matches \"H100 PCIe\")"), std::string::npos) << h100nvl;
  EXPECT_NE(h100nvl.find("h100-sxm (matches \"H100 80GB HBM3\")"), std::string::npos) << h100nvl;
  EXPECT_NE(h100nvl.find("which do not describe it"), std::string::npos) << h100nvl;
  // A chip no config knows: the note without a variant.
  const std::string other = unmatched_sku_note("Some Unknown Accelerator 9", 16);
  EXPECT_NE(other.find("matches the device name \"Some Unknown Accelerator 9\" exactly; it is treated as an unknown "
                       "GPU"),
            std::string::npos)
      << other;
}

// Matching reads every SKU file: one with a field this version does not know is skipped (and
// said), not a reason for every GPU command to fail; named explicitly, it is still refused.
TEST(Configs, SkuMatchingSkipsAConfigItCannotRead) {
  const auto dir = std::filesystem::temp_directory_path() / ("tb_skus_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "skus");
  std::filesystem::copy_file(std::filesystem::path(TB_SOURCE_DIR) / "configs" / "skus" / "h100-sxm.toml",
                             dir / "skus" / "h100-sxm.toml", std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir / "skus" / "b300.toml") << "name = \"b300\"\nsource = \"x\"\n[peak_tflops]\nfp4 = 15000\n";
  const char* before = std::getenv("TRAINBENCH_CONFIG_DIR");  // gpu-check.sh sets it: put it back
  const std::string saved = before ? before : "";
  ::setenv("TRAINBENCH_CONFIG_DIR", dir.c_str(), 1);
  const auto h100 = match_sku("NVIDIA H100 80GB HBM3", 79.6);
  EXPECT_THROW(load_sku("b300"), UsageError);
  if (before) ::setenv("TRAINBENCH_CONFIG_DIR", saved.c_str(), 1);
  else ::unsetenv("TRAINBENCH_CONFIG_DIR");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(h100);
  EXPECT_EQ(h100->name, "h100-sxm");
}

TEST(Configs, ArticleSite) {
  SiteConfig s = load_site("500p");
  EXPECT_DOUBLE_EQ(s.peak_pflops, 500);
  EXPECT_DOUBLE_EQ(s.cost, 3.02e9);
  EXPECT_EQ(s.currency, "CNY");
}

// A site's currency is checked as --currency is: a code the price guards do not know is refused,
// naming the file, the field and the accepted codes.
TEST(Configs, SiteCurrencyNotInTheTableIsRefused) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("tb_site_cur_" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  std::ifstream in(std::string(TB_SOURCE_DIR) + "/configs/sites/500p.toml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string path = dir + "/xyz-site.toml";
  std::ofstream(path) << replace(text, "currency = \"CNY\"", "currency = \"XYZ\"");
  const std::string msg = message_of([&] { load_site(path); });
  EXPECT_NE(msg.find("xyz-site.toml: field 'currency': unknown currency 'XYZ'; accepted: AED, AUD, BRL"),
            std::string::npos)
      << msg;
  std::filesystem::remove_all(dir);
}

TEST(Configs, DtypeParsingListsAcceptedValues) {
  EXPECT_EQ(parse_dtype("bf16", "--dtype"), DType::BF16);
  EXPECT_EQ(parse_dtype("e4m3", "--dtype"), DType::FP8);
  const std::string msg = message_of([] { parse_dtype("int3", "--dtype"); });
  EXPECT_NE(msg.find("fp32, tf32, bf16"), std::string::npos) << msg;
}

}  // namespace
// [server] power_w is the whole server's power, its source required: below its GPUs' TDP, or
// without power_source, the file and field are named.
TEST(Configs, ServerPowerBelowItsGpusOrWithoutSourceIsRefused) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("tb_sku_power_" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  std::ifstream in(std::string(TB_SOURCE_DIR) + "/configs/skus/h100-sxm.toml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::string& name, const std::string& body) {
    std::ofstream(dir + "/" + name) << body;
    return dir + "/" + name;
  };
  const std::string low = write("low.toml", replace(text, "power_w = 10200", "power_w = 4000"));
  std::string msg = message_of([&] { load_sku(low); });
  EXPECT_NE(msg.find("low.toml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("server.power_w 4000 is below its 8 GPUs' TDP (5600 W)"), std::string::npos) << msg;
  std::string unsourced = text;
  unsourced.erase(unsourced.find("power_source"), unsourced.find('\n', unsourced.find("power_source")) -
                                                      unsourced.find("power_source") + 1);
  msg = message_of([&] { load_sku(write("unsourced.toml", unsourced)); });
  EXPECT_NE(msg.find("server.power_source"), std::string::npos) << msg;
  std::filesystem::remove_all(dir);
}

// A config's currency is compared with --currency and other configs': read upper-cased, as the
// flag is ("cny" and CNY are one currency), and a non-code refused naming the field.
TEST(Configs, SkuCurrencyIsUpperCasedAndChecked) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("tb_sku_cur_" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  std::ifstream in(std::string(TB_SOURCE_DIR) + "/configs/skus/h100-sxm.toml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::string& name, const std::string& currency) {
    std::ofstream(dir + "/" + name) << text << "\n[price]\nper_gpu_hour = 18\ncurrency = \"" << currency
                                    << "\"\nsource = \"a quote\"\n";
    return dir + "/" + name;
  };
  EXPECT_EQ(load_sku(write("cny.toml", "cny")).currency, "CNY");
  const std::string msg = message_of([&] { load_sku(write("bad.toml", "US$")); });
  EXPECT_NE(msg.find("bad.toml: field 'price.currency': 'US$' is not a currency code"), std::string::npos) << msg;
  // Letters, but no currency the price guards know: refused naming the file, the field and the codes.
  const std::string unknown = message_of([&] { load_sku(write("xyz.toml", "XYZ")); });
  EXPECT_NE(unknown.find("xyz.toml: field 'price.currency': unknown currency 'XYZ'; accepted: AED, AUD, BRL"),
            std::string::npos)
      << unknown;
  std::filesystem::remove_all(dir);
}

}  // namespace tb
