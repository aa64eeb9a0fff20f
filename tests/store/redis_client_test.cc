#include "store/redis_client.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tests/store/redis_server.h"
#include "tests/test_util.h"

namespace az::store {
namespace {

using ::az::testing::RedisServer;

TEST(RedisAddressTest, ParsesHostPortAndDatabase) {
  absl::StatusOr<RedisAddress> a = RedisAddress::Parse("redis://10.0.0.7:6380/3");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "10.0.0.7");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 3);
  EXPECT_EQ(a->ToString(), "redis://10.0.0.7:6380/3");
  absl::StatusOr<RedisAddress> b = RedisAddress::Parse("redis://store-1");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->db, 0);
}

TEST(RedisAddressTest, RefusesWhatIsNotARedisUrl) {
  for (const char* bad :
       {"", "http://h:1", "redis://", "redis://:6379", "redis://h:0",
        "redis://h:70000", "redis://h:x", "redis://h:1/-1", "redis://h:1/db",
        "redis://h h:1", "redis://user:pw@h:1"}) {
    absl::StatusOr<RedisAddress> a = RedisAddress::Parse(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(a.status())) << bad;
    if (!a.ok()) {
      EXPECT_NE(std::string(a.status().message()).find("redis://HOST:PORT"),
                std::string::npos);
    }
  }
}

TEST(RedisCredentialsTest, ComeFromAFileOrTheEnvironment) {
  const std::string file = az::testing::WriteTempFile("pw", "s3cret\n");
  absl::StatusOr<RedisCredentials> c =
      ReadRedisCredentials("actor", file, "AZ_TEST_REDIS_PASSWORD");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->user, "actor");
  EXPECT_EQ(c->password, "s3cret");

  ::setenv("AZ_TEST_REDIS_PASSWORD", "from-env", 1);
  c = ReadRedisCredentials("", "", "AZ_TEST_REDIS_PASSWORD");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->password, "from-env");
  ::unsetenv("AZ_TEST_REDIS_PASSWORD");

  c = ReadRedisCredentials("", "", "AZ_TEST_REDIS_PASSWORD");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->password.empty());
}

TEST(RedisCredentialsTest, AnEmptyOrMissingFileIsAnError) {
  const std::string empty = az::testing::WriteTempFile("pw-empty", "\n");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ReadRedisCredentials("", empty, nullptr).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ReadRedisCredentials("", ::testing::TempDir() + "no-such-file", nullptr)
          .status()));
  // A user without a password cannot log in.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ReadRedisCredentials("actor", "", "AZ_TEST_UNSET_VARIABLE").status()));
}

TEST(RedisConnectionTest, CommandsAreBinarySafeAndPipelined) {
  AZ_REQUIRE_REDIS_SERVER();
  RedisServer server;
  ASSERT_TRUE(server.Start());
  RedisOptions options;
  options.address = server.address();
  absl::StatusOr<std::unique_ptr<RedisConnection>> c =
      RedisConnection::Connect(options);
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string value("a\0b\r\nc", 6);
  ASSERT_TRUE((*c)->Command({"SET", "k", value}).ok());
  absl::StatusOr<RedisReply> got = (*c)->Command({"GET", "k"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->is_string());
  EXPECT_EQ(got->str, value);
  EXPECT_TRUE((*c)->Command({"GET", "missing"})->is_nil());

  absl::StatusOr<std::vector<RedisReply>> replies = (*c)->Pipeline(
      {{"RPUSH", "l", "x", "y"}, {"LRANGE", "l", "0", "-1"}, {"INCR", "n"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0].integer, 2);
  ASSERT_EQ((*replies)[1].elements.size(), 2u);
  EXPECT_EQ((*replies)[1].elements[1].str, "y");
  EXPECT_EQ((*replies)[2].integer, 1);

  // An error reply in a pipeline is reported and the connection stays usable.
  replies = (*c)->Pipeline({{"INCR", "k"}, {"INCR", "n"}});
  EXPECT_TRUE(absl::IsFailedPrecondition(replies.status())) << replies.status();
  EXPECT_FALSE((*c)->broken());
  EXPECT_EQ((*c)->Command({"GET", "n"})->str, "2");
}

TEST(RedisConnectionTest, SelectsTheDatabaseOfTheAddress) {
  AZ_REQUIRE_REDIS_SERVER();
  RedisServer server;
  ASSERT_TRUE(server.Start());
  RedisOptions options;
  options.address = server.address();
  options.address.db = 2;
  auto c2 = RedisConnection::Connect(options);
  ASSERT_TRUE(c2.ok()) << c2.status();
  ASSERT_TRUE((*c2)->Command({"SET", "k", "in-2"}).ok());
  options.address.db = 0;
  auto c0 = RedisConnection::Connect(options);
  ASSERT_TRUE(c0.ok()) << c0.status();
  EXPECT_TRUE((*c0)->Command({"GET", "k"})->is_nil());
}

TEST(RedisConnectionTest, AWrongOrMissingPasswordIsUnauthenticated) {
  AZ_REQUIRE_REDIS_SERVER();
  RedisServer::Options with_password;
  with_password.requirepass = "right";
  RedisServer server(with_password);
  ASSERT_TRUE(server.Start());
  RedisOptions options;
  options.address = server.address();
  absl::StatusOr<std::unique_ptr<RedisConnection>> c =
      RedisConnection::Connect(options);
  EXPECT_TRUE(absl::IsUnauthenticated(c.status())) << c.status();
  options.credentials.password = "wrong";
  c = RedisConnection::Connect(options);
  EXPECT_TRUE(absl::IsUnauthenticated(c.status())) << c.status();
  EXPECT_NE(std::string(c.status().message()).find("refused the password"),
            std::string::npos);
  EXPECT_EQ(std::string(c.status().message()).find("wrong"), std::string::npos)
      << "the password must not be echoed";
  options.credentials.password = "right";
  c = RedisConnection::Connect(options);
  EXPECT_TRUE(c.ok()) << c.status();
}

TEST(RedisConnectionTest, WhatTheAclForbidsIsPermissionDenied) {
  AZ_REQUIRE_REDIS_SERVER();
  RedisServer::Options with_acl;
  with_acl.acl = {"user reader on >pw ~allowed:* +get +ping +select"};
  RedisServer server(with_acl);
  ASSERT_TRUE(server.Start());
  RedisOptions options;
  options.address = server.address();
  options.credentials = {"reader", "pw"};
  auto c = RedisConnection::Connect(options);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE((*c)->Command({"GET", "allowed:x"}).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(
      (*c)->Command({"SET", "allowed:x", "1"}).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      (*c)->Command({"GET", "other:x"}).status()));
}

TEST(RedisConnectionTest, ALostServerIsUnavailableAndBreaksTheConnection) {
  AZ_REQUIRE_REDIS_SERVER();
  RedisServer server;
  ASSERT_TRUE(server.Start());
  RedisOptions options;
  options.address = server.address();
  options.timeout_ms = 1000;
  auto c = RedisConnection::Connect(options);
  ASSERT_TRUE(c.ok()) << c.status();
  server.Stop(/*kill=*/true);
  absl::StatusOr<RedisReply> r = (*c)->Command({"PING"});
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_TRUE((*c)->broken());
  EXPECT_TRUE(absl::IsUnavailable(RedisConnection::Connect(options).status()));
  // Back on the same port: a new connection works.
  ASSERT_TRUE(server.Start());
  EXPECT_TRUE(RedisConnection::Connect(options).ok());
}

}  // namespace
}  // namespace az::store
