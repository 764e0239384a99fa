// NCCL is loaded at run time: where libnccl.so.2 is on the loader's path the API binds and reports
// a version new enough for bf16; where it is not, the reason names the library. Either way the
// binary started, which is the point (it used to need libnccl.so.2 to start at all).
#include <gtest/gtest.h>

#if TB_HAVE_NCCL
#include <regex>

#include "kernels/cuda/nccl_loader.hpp"

namespace tb::kernels::cuda {
namespace {

TEST(NcclLoader, BindsTheLibraryOrSaysWhyNot) {
  std::string why;
  const NcclApi* api = nccl_api(&why);
  if (!api) {
    EXPECT_NE(why.find("libnccl.so.2"), std::string::npos) << why;
    EXPECT_EQ(nccl_version_string(), "");
    GTEST_SKIP() << "no NCCL on this machine: " << why;
  }
  EXPECT_GE(api->version, 21000);
  for (const void* fn : {reinterpret_cast<const void*>(api->GetUniqueId), reinterpret_cast<const void*>(api->AllReduce),
                         reinterpret_cast<const void*>(api->Send), reinterpret_cast<const void*>(api->CommAbort)})
    EXPECT_NE(fn, nullptr);
  EXPECT_TRUE(std::regex_match(nccl_version_string(), std::regex(R"(2\.\d+\.\d+)"))) << nccl_version_string();
  EXPECT_STREQ(api->GetErrorString(ncclSuccess), "no error");
  EXPECT_EQ(nccl_api(), api);  // loaded once
}

}  // namespace
}  // namespace tb::kernels::cuda
#endif
