// `trainbench comm` as a user runs it without mpirun: one rank, recorded, with the note on what
// one rank cannot measure; and `trainbench estimate` with and without a parallel layout.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

// Small and quick: 2 launches per sample, 3 samples, no minimum time.
const std::vector<std::string> kQuick = {"-n", "2", "-w", "1", "--min-samples", "3", "--max-samples", "20", "--min-time", "0",
                                         "--max-time", "5"};

std::vector<std::string> with_quick(std::vector<std::string> args) {
  args.insert(args.end(), kQuick.begin(), kQuick.end());
  return args;
}

TEST(CommCli, OneRankRunsEveryCollectiveChecksAndRecordsIt) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI: no host-memory collectives to run without a GPU";
#endif
  const std::string dir = make_temp_dir("tb_comm_");
  const std::string out = dir + "/comm.json";
  const CliResult r = run_trainbench(with_quick({"comm", "--backend", "mpi", "--sizes", "4K,64K", "--out", out}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("busbw"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("One rank measures no link"), std::string::npos) << r.out;
  // One rank's broadcast and reduce move nothing: no average carries their figures.
  EXPECT_NE(r.out.find("Avg bus bandwidth    : n/a (one rank)"), std::string::npos) << r.out;
  // Host memory is no GPU to match to a SKU: no SKU note (cli/comm_sku_note.hpp's test has GPUs).
  EXPECT_EQ(r.err.find("SKU config"), std::string::npos) << r.err;
  // Nor the OpenBLAS note about GEMMs' % of peak and MFU: comm runs no GEMMs.
  EXPECT_EQ(r.err.find("OpenBLAS"), std::string::npos) << r.err;
  const auto j = nlohmann::json::parse(read_text(out));
  EXPECT_EQ(j.at("status"), "complete");
  EXPECT_EQ(j.at("workload").at("command"), "comm");
  ASSERT_EQ(j.at("ranks").size(), 1u);
  // 7 collectives x 2 sizes, each out of place and then in place (MPI runs all seven in place),
  // as nccl-tests' two column groups.
  ASSERT_EQ(j.at("kernels").size(), 28u);
  EXPECT_NE(r.out.find("out-of-place"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in-place"), std::string::npos) << r.out;
  for (size_t i = 0; i < 28; i += 2) {
    const auto& out_of_place = j.at("kernels")[i];
    const auto& in_place = j.at("kernels")[i + 1];
    EXPECT_FALSE(out_of_place.at("dims").contains("in_place")) << out_of_place.at("name");
    EXPECT_EQ(in_place.at("dims").at("in_place"), 1) << in_place.at("name");
    EXPECT_EQ(in_place.at("name"), out_of_place.at("name"));
    EXPECT_EQ(in_place.at("shape"), out_of_place.at("shape").get<std::string>() + ", in place");
  }
  for (const auto& k : j.at("kernels")) {
    EXPECT_TRUE(k.at("verified").get<bool>()) << k.at("name");
    EXPECT_EQ(k.at("wrong_elements"), 0);
    EXPECT_EQ(k.at("dims").at("ranks"), 1);
    EXPECT_GT(k.at("algbw_gb_s").get<double>(), 0.0);
    if (k.at("kind") == "allreduce") EXPECT_EQ(k.at("busbw_gb_s").get<double>(), 0.0);  // 2(n-1)/n = 0
  }
  std::filesystem::remove_all(dir);
}

// Broadcast and reduce (root 0, nccl-tests' broadcast_perf and reduce_perf): named by --op,
// checked, busbw = algbw, and a planted error at the root caught (exit 1).
TEST(CommCli, BroadcastAndReduceRunCheckedWithBusbwEqualToAlgbw) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI";
#endif
  for (const std::string op : {"broadcast", "reduce"}) {
    const CliResult r = run_trainbench(with_quick({"comm", "--backend", "mpi", "--op", op, "--sizes", "1M", "--json"}));
    ASSERT_EQ(r.exit_code, 0) << op << ": " << r.out << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.at("kernels").size(), 2u);  // out of place, in place
    const auto& k = j.at("kernels")[0];
    EXPECT_EQ(k.at("kind"), op);
    EXPECT_TRUE(j.at("kernels")[1].at("verified").get<bool>()) << op << " in place";
    EXPECT_EQ(k.at("name"), op + ".1048576");
    EXPECT_TRUE(k.at("verified").get<bool>());
    EXPECT_GT(k.at("algbw_gb_s").get<double>(), 0.0);
    EXPECT_EQ(k.at("busbw_gb_s").get<double>(), k.at("algbw_gb_s").get<double>());
    const CliResult bad = run_trainbench(
        with_quick({"comm", "--backend", "mpi", "--op", op, "--sizes", "4K", "--corrupt-output-for-testing", "--json"}));
    EXPECT_EQ(bad.exit_code, 1) << op << ": " << bad.err;
    EXPECT_EQ(nlohmann::json::parse(bad.out).at("kernels")[0].at("wrong_elements"), 1) << op;
    EXPECT_EQ(nlohmann::json::parse(bad.out).at("kernels")[1].at("wrong_elements"), 1) << op << " in place";
  }
  // With the model's sizes: training sends no broadcast, so it is measured at the activation size.
  const CliResult m = run_trainbench(
      with_quick({"comm", "--backend", "mpi", "--model", "gpt1", "--tp", "1", "--op", "reduce", "--json"}));
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(nlohmann::json::parse(m.out).at("kernels")[0].at("name"), "tp.activation.reduce");
  EXPECT_NE(m.err.find("the training step sends no reduce"), std::string::npos) << m.err;
}

TEST(CommCli, DefaultsToTheModelsMessageSizes) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI";
#endif
  // gpt1 at tp 1: one micro-batch's activation b*s*d*2 = 512*768*2 = 786,432 B between stages.
  const CliResult r = run_trainbench(
      with_quick({"comm", "--backend", "mpi", "--model", "gpt1", "--tp", "1", "--op", "sendrecv", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("kernels").size(), 2u);  // out of place, in place
  EXPECT_EQ(j.at("kernels")[0].at("name"), "pp.activation");
  EXPECT_EQ(j.at("kernels")[0].at("bytes").get<double>(), 786432.0);
  EXPECT_EQ(j.at("workload").at("model"), "gpt1");
  EXPECT_NE(r.err.find("message sizes of gpt1"), std::string::npos) << r.err;
}

// --cp 2: gpt1's 512 tokens split over 2 context ranks, and the K/V all-gather of the whole
// sequence, 2*512*768*2 = 1,572,864 B at tp 1, is among the model's messages.
TEST(CommCli, ContextParallelMessagesAreTheModels) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI";
#endif
  const CliResult r = run_trainbench(
      with_quick({"comm", "--backend", "mpi", "--model", "gpt1", "--tp", "1", "--cp", "2", "--op", "allgather", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  bool kv = false;
  for (const auto& k : j.at("kernels")) {
    if (k.at("name") == "cp.kv.allgather") {
      kv = true;
      EXPECT_EQ(k.at("bytes").get<double>(), 1572864.0);
    }
    if (k.at("name") == "tp.seqpar.allgather") EXPECT_EQ(k.at("bytes").get<double>(), 256.0 * 768 * 2);
  }
  EXPECT_TRUE(kv) << r.out;
  EXPECT_NE(r.err.find("tp 1 cp 2"), std::string::npos) << r.err;
  EXPECT_EQ(run_trainbench({"comm", "--backend", "mpi", "--model", "gpt1", "--cp", "3"}).exit_code, 2);
}

TEST(CommCli, WrongResultsAreCountedAndFailTheRun) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI";
#endif
  const CliResult r = run_trainbench(
      with_quick({"comm", "--backend", "mpi", "--op", "allreduce", "--sizes", "4K", "--corrupt-output-for-testing",
                  "--json"}));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("status"), "failed");
  EXPECT_EQ(j.at("kernels")[0].at("wrong_elements"), 1);
  EXPECT_FALSE(j.at("kernels")[0].at("verified").get<bool>());
  // The in-place run is checked as well: its planted error counted there too.
  EXPECT_EQ(j.at("kernels")[1].at("dims").at("in_place"), 1);
  EXPECT_EQ(j.at("kernels")[1].at("wrong_elements"), 1);
  EXPECT_EQ(j.at("kernels")[1].at("status"), "failed");
}

// Ctrl-C mid-sweep: exit 130, the size it stopped marked interrupted (never a checked row), the
// sizes never started listed as skipped, and the file a partial run.
TEST(CommCli, InterruptKeepsWhatWasMeasuredAndListsTheRest) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI";
#endif
  const std::string dir = make_temp_dir("tb_comm_"), out = dir + "/c.json";
  const std::string mark = dir + "/sampling", script = dir + "/interrupt_after_mark.sh";
  write_text(script,
             "\"$@\" & pid=$!\n"
             "for i in $(seq 600); do [ -e \"$TRAINBENCH_TEST_SAMPLING_MARK\" ] && break; sleep 0.1; done\n"
             "sleep 0.2; kill -INT $pid; wait $pid\n");
  const CliResult r = run_trainbench({"comm", "--backend", "mpi", "--op", "allreduce", "--sizes", "4K,8K,16K", "-n",
                                      "1", "--min-samples", "3", "--max-samples", "100000000", "--min-time", "60",
                                      "--max-time", "60", "--out", out},
                                     "TRAINBENCH_TEST_SAMPLING_MARK=" + mark + " bash " + script);
  EXPECT_EQ(r.exit_code, 130) << r.out << r.err;
  EXPECT_NE(r.err.find("interrupted at allreduce.4096"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("skipped: not measured: the run was interrupted at allreduce.4096"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(read_text(out));
  EXPECT_EQ(j.at("status"), "partial");
  ASSERT_EQ(j.at("kernels").size(), 3u);
  EXPECT_EQ(j.at("kernels")[0].at("status"), "interrupted");
  EXPECT_EQ(j.at("kernels")[1].at("status"), "skipped");
  EXPECT_EQ(j.at("kernels")[2].at("status"), "skipped");
  std::filesystem::remove_all(dir);
}

TEST(CommCli, RefusesBadFlagsWithUsageErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"comm", "--op", "allreduc"},
           {"comm", "--op", "scatter"},  // nccl-tests' scatter_perf: not one trainbench runs
           {"comm", "--dtype", "fp8"},
           {"comm", "-g", "2"},
           {"comm", "--sizes", "8:4"},
           {"comm", "--backend", "gloo"},
           {"comm", "--model", "gpt3-175b", "--tp", "7"},
           {"comm", "--backend", "mpi", "--sizes", "3"},  // not whole bf16 elements
           {"comm", "--backend", "mpi", "--sizes", "1M", "--model", "nope"},
           {"comm", "--backend", "mpi", "--sizes", "1M,,2M"}}) {
    const CliResult r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << " " << args[2] << ": " << r.err;
  }
  const CliResult r = run_trainbench({"comm", "--op", "allreduc"});
  EXPECT_NE(r.err.find("--op: unknown collective 'allreduc'; accepted values: allreduce, allgather, reducescatter, "
                       "alltoall, sendrecv, broadcast, reduce, all"),
            std::string::npos)
      << r.err;
  // A layout flag sizes the model's messages: beside given sizes it would be ignored.
  const CliResult tp = run_trainbench({"comm", "--backend", "mpi", "--tp", "3", "--sizes", "1M"});
  EXPECT_EQ(tp.exit_code, 2);
  EXPECT_NE(tp.err.find("--tp sizes the model's own messages; with --sizes the sizes are given"), std::string::npos)
      << tp.err;
  const CliResult pp = run_trainbench({"comm", "--backend", "mpi", "-b", "1K", "-e", "2K", "--pp", "2"});
  EXPECT_EQ(pp.exit_code, 2);
  EXPECT_NE(pp.err.find("--pp sizes the model's own messages; with -b/-e"), std::string::npos) << pp.err;
}

TEST(CommCli, EstimateSaysScalingIsIdealWithoutALayout) {
  const CliResult r = run_trainbench({"estimate", "--model", "gpt3-175b", "--tflops", "150", "--gpus", "1024"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("scaling assumed ideal"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Scaling efficiency"), std::string::npos) << r.out;
}

TEST(CommCli, EstimateShowsTheScalingEfficiencyAndWhy) {
  const CliResult r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus",
                                      "1024", "--tp", "8", "--pp", "8", "--micro-batches", "64", "--overlap", "0.5",
                                      "--interconnect", "ethernet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Scaling efficiency"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pipeline bubble: (p-1)/(m+p-1) = 7/71"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tensor parallel: 4 all-reduces per layer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--interconnect ethernet"), std::string::npos) << r.out;
  const CliResult j = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus",
                                      "1024", "--tp", "8", "--pp", "8", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto e = nlohmann::json::parse(j.out);
  EXPECT_EQ(e.at("scaling").at("dp"), 16);
  // GPT-3's global batch of 1536 sequences over dp 16 pipelines of b = 1: m = 96, not 4 x pp.
  EXPECT_EQ(e.at("scaling").at("micro_batches"), 96);
  // A model without a published batch falls back to 4 x pp = 32, said so.
  const CliResult fallback = run_trainbench({"estimate", "--model", "llama3-70b", "--gpu", "h100-sxm", "--mfu", "0.4",
                                             "--gpus", "1024", "--tp", "8", "--pp", "8", "--json"});
  ASSERT_EQ(fallback.exit_code, 0) << fallback.err;
  EXPECT_EQ(nlohmann::json::parse(fallback.out).at("scaling").at("micro_batches"), 32);
  // ...unless a global batch is given: 1024 sequences over dp 16 pipelines are 64 each.
  const CliResult given = run_trainbench({"estimate", "--model", "llama3-70b", "--gpu", "h100-sxm", "--mfu", "0.4",
                                          "--gpus", "1024", "--tp", "8", "--pp", "8", "--global-batch", "1024", "--json"});
  ASSERT_EQ(given.exit_code, 0) << given.err;
  EXPECT_EQ(nlohmann::json::parse(given.out).at("scaling").at("micro_batches"), 64);
  EXPECT_LT(e.at("scaling").at("efficiency").get<double>(), 1.0);
  EXPECT_NEAR(e.at("wall_days").get<double>() * e.at("scaling").at("efficiency").get<double>(),
              e.at("ideal_wall_days").get<double>(), 1e-9);
}

TEST(CommCli, EstimateRefusesCommFlagsWithoutLayoutOrBandwidth) {
  EXPECT_EQ(run_trainbench({"estimate", "--tflops", "150", "--gpus", "8", "--overlap", "0.5"}).exit_code, 2);
  EXPECT_EQ(run_trainbench({"estimate", "--tflops", "150", "--gpus", "16", "--tp", "8"}).exit_code, 2);  // no SKU links
  EXPECT_EQ(run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "100", "--tp", "8"}).exit_code,
            2);  // 100 GPUs are not a multiple of tp 8
  EXPECT_EQ(run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8", "--interconnect", "carrier-pigeon"})
                .exit_code,
            2);
}

// A two-rank all-reduce file as `mpirun -np 2 trainbench comm --backend mpi` writes it, made here
// from a one-rank run (no mpirun in this test): the second rank added, busbw = algbw (2(n-1)/n = 1
// at n = 2). `gpu` names the GPU the file is rewritten to have run NCCL on, or "" for host memory.
std::string two_rank_allreduce_file(const std::string& dir, const std::string& gpu) {
  const std::string path = dir + (gpu.empty() ? "/comm-mpi.json" : "/comm-nccl.json");
  const CliResult r = run_trainbench(with_quick({"comm", "--backend", "mpi", "--op", "allreduce", "--sizes", "1M", "--out", path}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_text(path));
  auto& k = j.at("kernels")[0];
  k["dims"]["ranks"] = 2;
  k["busbw_gb_s"] = k.at("algbw_gb_s");
  auto second = j.at("ranks")[0];
  second["rank"] = 1;
  second["local_rank"] = 1;
  j["ranks"].push_back(second);
  if (!gpu.empty()) {
    j["machine"]["backend"] = "cuda";
    j["machine"]["device_name"] = gpu;
    for (auto& rank : j["ranks"]) rank["backend"] = "nccl", rank["device_name"] = gpu;
  }
  write_text(path, j.dump(2));
  return path;
}

// The host's MPI busbw (well under 1 GB/s on a small VM) is no H100 link: an estimate for a GPU
// refuses the file, naming it, its backend and what it takes; a CPU's estimate (--tflops alone)
// and an NCCL file are taken.
TEST(CommCli, EstimateForAGpuRefusesAHostMemoryCommFile) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI: no host-memory comm file to make";
#endif
  const std::string dir = make_temp_dir("tb_comm_est_");
  const std::string mpi = two_rank_allreduce_file(dir, "");
  const std::vector<std::string> h100 = {"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024",
                                         "--tp", "8", "--pp", "8", "--comm-results"};
  auto with_file = [](std::vector<std::string> args, const std::string& file) {
    args.push_back(file);
    return args;
  };
  const CliResult refused = run_trainbench(with_file(h100, mpi));
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("--comm-results " + mpi + ": measured by the mpi backend on host memory (CPU)"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("an estimate for GPU SKU h100-sxm takes a file measured with --backend nccl"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.out.find("Scaling efficiency"), std::string::npos) << refused.out;
  // Several SKUs side by side: refused before any is printed.
  const CliResult several = run_trainbench(with_file(
      {"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--gpus", "1024", "--tp", "8", "--pp", "8", "--comm-results"},
      mpi));
  EXPECT_EQ(several.exit_code, 2) << several.err;
  EXPECT_NE(several.err.find("GPU SKUs h100-sxm,h200"), std::string::npos) << several.err;
  // No GPU in the estimate: the host link stands, its source says what it measured.
  const CliResult host = run_trainbench(with_file(
      {"estimate", "--model", "gpt1", "--tflops", "1", "--gpus", "4", "--tp", "2", "--comm-results"}, mpi));
  EXPECT_EQ(host.exit_code, 0) << host.err;
  EXPECT_NE(host.out.find("MPI on host memory, not a GPU link"), std::string::npos) << host.out;
  // The same file measured by NCCL on H100s is the link it claims.
  const std::string nccl = two_rank_allreduce_file(dir, "NVIDIA H100 80GB HBM3");
  const CliResult taken = run_trainbench(with_file(h100, nccl));
  EXPECT_EQ(taken.exit_code, 0) << taken.err;
  EXPECT_NE(taken.out.find("measured all-reduce busbw"), std::string::npos) << taken.out;
  std::filesystem::remove_all(dir);
}

// A file measured on one node holds the intra-node link only: GPT-3 175B's pipeline across nodes
// then asks for the network, saying the file was measured on one node, not for --comm-results
// again; the network given, the estimate runs on the file's intra-node figure.
TEST(CommCli, AOneNodeCommFileSaysWhatToGiveForTheNetwork) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI: no host-memory comm file to make";
#endif
  const std::string dir = make_temp_dir("tb_comm_one_node_");
  const std::string file = two_rank_allreduce_file(dir, "");
  const std::vector<std::string> args = {"estimate", "--model", "gpt3-175b", "--tflops", "140", "--gpus", "1024",
                                         "--tp", "8", "--pp", "16", "--comm-results", file};
  const CliResult refused = run_trainbench(args);
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("needs the inter-node bandwidth per GPU; --comm-results " + file +
                             " was measured on one node (2 ranks: the intra-node link only): give the network as "
                             "--interconnect"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("or --comm-results FILE"), std::string::npos) << refused.err;
  std::vector<std::string> with_network = args;
  with_network.insert(with_network.end(), {"--interconnect", "infiniband"});
  const CliResult taken = run_trainbench(with_network);
  EXPECT_EQ(taken.exit_code, 0) << taken.err;
  EXPECT_NE(taken.out.find("measured all-reduce busbw"), std::string::npos) << taken.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tb::testing
