// Tests for shopify/shop_domain: the accept/reject table of ../shared/spec/shopify-platform.md and the `host`
// parameter.
#include "shopify/shop_domain.h"

#include <gtest/gtest.h>

#include <string>

#include "core/crypto.h"

namespace pagelift::shopify {
namespace {

TEST(ShopDomainTest, AcceptsAndNormalizes) {
  const std::pair<const char*, const char*> accepted[] = {
      {"some-shop.myshopify.com", "some-shop.myshopify.com"},
      {"Some-Shop.MyShopify.COM", "some-shop.myshopify.com"},
      {"a.myshopify.com", "a.myshopify.com"},
      {"0shop.myshopify.com", "0shop.myshopify.com"},
      {"shop-.myshopify.com", "shop-.myshopify.com"},  // the spec's pattern allows a trailing hyphen
      {"admin.shopify.com/store/some-shop", "some-shop.myshopify.com"},
      {"ADMIN.shopify.com/store/Some-Shop", "some-shop.myshopify.com"},
  };
  for (const auto& [input, expected] : accepted) {
    EXPECT_EQ(NormalizeShopDomain(input), std::optional<std::string>(expected)) << input;
  }
  const std::string longest = std::string(63, 'a') + ".myshopify.com";
  EXPECT_EQ(NormalizeShopDomain(longest), longest);
}

TEST(ShopDomainTest, Rejects) {
  const char* rejected[] = {
      "",
      "evil.com",
      "myshopify.com",
      ".myshopify.com",
      "-shop.myshopify.com",
      "x.myshopify.com.evil.com",
      "evil.com/x.myshopify.com",
      "evilmyshopify.com",
      "shop.myshopify.co",
      "shop.myshopify.com/",
      "shop.myshopify.com/admin",
      "shop.myshopify.com:443",
      "https://shop.myshopify.com",
      "//shop.myshopify.com",
      "shop_name.myshopify.com",
      "shop.name.myshopify.com",
      "shop name.myshopify.com",
      " shop.myshopify.com",
      "shop.myshopify.com ",
      "shop.myshopify.com\n",
      "shop.myshopify.com?x=1",
      "shop.myshopify.com#x",
      "user@shop.myshopify.com",
      "shop.myshopify.io",
      "shop.shopify.com",
      "sh%6fp.myshopify.com",
      "admin.shopify.com/store/",
      "admin.shopify.com/store/shop/",
      "admin.shopify.com/store/shop/products",
      "admin.shopify.com/store/-shop",
      "admin.shopify.com/store/shop.myshopify.com",
      "admin.shopify.com/shop",
      "https://admin.shopify.com/store/shop",
      "evil.com/admin.shopify.com/store/shop",
  };
  for (const char* input : rejected) {
    EXPECT_FALSE(NormalizeShopDomain(input).has_value()) << '"' << input << '"';
  }
  EXPECT_FALSE(NormalizeShopDomain(std::string(64, 'a') + ".myshopify.com").has_value());
  EXPECT_FALSE(NormalizeShopDomain(std::string("shop\0.myshopify.com", 19)).has_value());
}

TEST(ShopDomainTest, MyshopifyOnlyRefusesAdminForm) {
  EXPECT_EQ(NormalizeMyshopifyDomain("Shop.myshopify.com"), "shop.myshopify.com");
  EXPECT_FALSE(NormalizeMyshopifyDomain("admin.shopify.com/store/shop").has_value());
}

TEST(HostParamTest, DecodesAdminForm) {
  // As Shopify sends it: no padding (34 bytes of text need two "=").
  const std::string host = crypto::Base64Encode("admin.shopify.com/store/some-shop1");
  ASSERT_EQ(host.substr(host.size() - 2), "==");
  const std::string unpadded = host.substr(0, host.size() - 2);
  for (const std::string& param : {host, unpadded}) {
    const auto decoded = DecodeHostParam(param);
    ASSERT_TRUE(decoded.has_value()) << param;
    EXPECT_EQ(decoded->host, "admin.shopify.com/store/some-shop1");
    EXPECT_EQ(decoded->shop, "some-shop1.myshopify.com");
  }
  EXPECT_EQ(EncodeHostParam("some-shop1.myshopify.com"), unpadded);
  EXPECT_FALSE(DecodeHostParam(unpadded + "=").has_value());  // wrong amount of padding
}

TEST(HostParamTest, DecodesLegacyShopAdminForm) {
  const auto decoded = DecodeHostParam(crypto::Base64Encode("Some-Shop.myshopify.com/admin"));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->host, "some-shop.myshopify.com/admin");
  EXPECT_EQ(decoded->shop, "some-shop.myshopify.com");
}

TEST(HostParamTest, Rejects) {
  const char* decoded_rejects[] = {
      "evil.com/admin",
      "admin.shopify.com/store/shop/extra",
      "admin.shopify.com/store/",
      "shop.myshopify.com",
      "shop.myshopify.com/admin/",
      "shop.myshopify.com.evil.com/admin",
      "evil.com/admin.shopify.com/store/shop",
      "https://admin.shopify.com/store/shop",
      "",
  };
  for (const char* text : decoded_rejects) {
    EXPECT_FALSE(DecodeHostParam(crypto::Base64Encode(text)).has_value()) << text;
  }
  EXPECT_FALSE(DecodeHostParam("not base64!").has_value());
  EXPECT_FALSE(DecodeHostParam("admin.shopify.com/store/shop").has_value());  // not encoded at all
}

}  // namespace
}  // namespace pagelift::shopify
