// Parsing of products_cache.data and body_html into ProductView. See product_view.h.
#include "recommend/product_view.h"

#include <gumbo.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <cctype>
#include <cstddef>
#include <memory>
#include <vector>

#include "core/text.h"

namespace pagelift::recommend {

namespace json = boost::json;

bool VariantView::SoldOut() const {
  if (available) return !*available;
  return inventory && *inventory <= 0;
}

bool ProductView::HasAppMetafield(std::string_view key) const {
  return std::find(app_metafield_keys.begin(), app_metafield_keys.end(), key) != app_metafield_keys.end();
}

namespace {

// ---- body_html -------------------------------------------------------------------------------------------------

// gumbo allocates every node, attribute and string on its own; with malloc that was most of the audit's time. A bump
// arena per thread serves one parse and is rewound afterwards (the tree is dropped whole, never freed node by node).
class ParseArena {
 public:
  static void* Allocate(void* self, std::size_t size) { return static_cast<ParseArena*>(self)->Take(size); }
  static void Free(void*, void*) {}  // released in one go by Rewind

  void Rewind() {
    current_ = 0;
    used_ = 0;
  }

 private:
  static constexpr std::size_t kBlockSize = 256 * 1024;

  void* Take(std::size_t size) {
    size = (size + 15) & ~std::size_t{15};
    while (current_ < blocks_.size() && used_ + size > blocks_[current_].size) {
      ++current_;
      used_ = 0;
    }
    if (current_ == blocks_.size()) {
      const std::size_t block = std::max(size, kBlockSize);
      blocks_.push_back({std::make_unique<std::byte[]>(block), block});
      used_ = 0;
    }
    void* out = blocks_[current_].data.get() + used_;
    used_ += size;
    return out;
  }

  struct Block {
    std::unique_ptr<std::byte[]> data;
    std::size_t size;
  };
  std::vector<Block> blocks_;
  std::size_t current_ = 0;
  std::size_t used_ = 0;
};

bool IsBlock(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_LI: case GUMBO_TAG_BR: case GUMBO_TAG_H1: case GUMBO_TAG_H2:
    case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_TR: case GUMBO_TAG_TD:
    case GUMBO_TAG_TH: case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_TABLE:
      return true;
    default:
      return false;
  }
}

class DescriptionWalker {
 public:
  explicit DescriptionWalker(DescriptionView& out) : out_(out) {}

  void Walk(const GumboNode* node) {
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE || node->type == GUMBO_NODE_CDATA) {
      Append(node->v.text.text);
      return;
    }
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) return;
    if (node->type == GUMBO_NODE_DOCUMENT) {
      WalkChildren(&node->v.document.children);
      return;
    }
    const GumboElement& element = node->v.element;
    switch (element.tag) {
      case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE:
        return;  // never visible text
      case GUMBO_TAG_LI:
        out_.has_list = true;
        break;
      case GUMBO_TAG_H1:
        ++out_.h1_count;
        break;
      case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
        out_.has_heading = true;
        break;
      case GUMBO_TAG_TABLE:
        out_.has_table = true;
        break;
      case GUMBO_TAG_IMG: {
        ++out_.images;
        if (gumbo_get_attribute(&element.attributes, "alt") == nullptr) ++out_.images_without_alt;
        if (gumbo_get_attribute(&element.attributes, "width") == nullptr ||
            gumbo_get_attribute(&element.attributes, "height") == nullptr) {
          ++out_.images_without_dimensions;
        }
        break;
      }
      case GUMBO_TAG_IFRAME: {
        const GumboAttribute* loading = gumbo_get_attribute(&element.attributes, "loading");
        if (loading == nullptr || std::string_view(loading->value) != "lazy") ++out_.iframes_without_lazy;
        break;
      }
      default:
        break;
    }
    if (IsBlock(element.tag)) Break();
    WalkChildren(&element.children);
    if (IsBlock(element.tag)) Break();
  }

  void Finish() {
    Break();
    // Collapse whitespace and count words.
    std::string text;
    text.reserve(raw_.size());
    bool space = false;
    for (char c : raw_) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        space = !text.empty();
      } else {
        if (space) text += ' ';
        space = false;
        text += c;
        if (text.size() == 1 || text[text.size() - 2] == ' ') ++out_.words;
      }
    }
    out_.text = std::move(text);
  }

 private:
  void WalkChildren(const GumboVector* children) {
    for (unsigned i = 0; i < children->length; ++i) Walk(static_cast<const GumboNode*>(children->data[i]));
  }

  void Append(std::string_view text) {
    raw_ += text;
    sentence_ += text;
    // A sentence ends at . ! ? followed by whitespace (or the end of the block).
    std::size_t start = 0;
    for (std::size_t i = 0; i + 1 < sentence_.size(); ++i) {
      const char c = sentence_[i];
      if ((c == '.' || c == '!' || c == '?') && std::isspace(static_cast<unsigned char>(sentence_[i + 1]))) {
        Emit(std::string_view(sentence_).substr(start, i + 1 - start));
        start = i + 1;
      }
    }
    sentence_.erase(0, start);
  }

  // A block boundary ends the current sentence (a list item without a full stop is still one statement).
  void Break() {
    raw_ += ' ';
    Emit(sentence_);
    sentence_.clear();
  }

  void Emit(std::string_view sentence) {
    std::string collapsed;
    bool space = false;
    for (char c : sentence) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        space = !collapsed.empty();
      } else {
        if (space) collapsed += ' ';
        space = false;
        collapsed += c;
      }
    }
    if (!collapsed.empty()) out_.sentences.push_back(std::move(collapsed));
  }

  DescriptionView& out_;
  std::string raw_;
  std::string sentence_;
};

// ---- data ------------------------------------------------------------------------------------------------------

std::string StringOf(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<std::string> OptionalStringOf(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::int64_t> IntegerOf(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  if (v->is_string()) {
    std::int64_t n = 0;
    const auto s = v->get_string();
    if (s.empty() || s.size() > 18) return std::nullopt;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return std::nullopt;
}

// Money as GraphQL sends it ("19.99"), as a MoneyV2 object ({"amount": "19.99"}), or a JSON number.
std::optional<std::int64_t> MoneyOf(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return ParseMoneyCents(v->get_string());
  if (v->is_object()) return MoneyOf(v->get_object().if_contains("amount"));
  if (v->is_int64()) return v->get_int64() * 100;
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double() * 100 + 0.5);
  return std::nullopt;
}

const json::array* ArrayOf(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

ImageView ParseImage(const json::object& media) {
  ImageView image;
  image.media_id = StringOf(media, "id");
  const json::object* inner = nullptr;
  if (const auto* v = media.if_contains("image"); v && v->is_object()) inner = &v->get_object();
  const json::object& source = inner ? *inner : media;  // a plain Image node carries url/width/height itself
  image.url = StringOf(source, "url");
  if (auto alt = OptionalStringOf(media, "alt")) {
    image.alt = *alt;
  } else if (auto alt_text = OptionalStringOf(source, "altText")) {
    image.alt = *alt_text;
  }
  image.width = static_cast<int>(IntegerOf(source.if_contains("width")).value_or(0));
  image.height = static_cast<int>(IntegerOf(source.if_contains("height")).value_or(0));
  if (const auto* original = media.if_contains("originalSource"); original && original->is_object()) {
    image.file_size = IntegerOf(original->get_object().if_contains("fileSize"));
  }
  if (!image.file_size) image.file_size = IntegerOf(source.if_contains("fileSize"));
  return image;
}

}  // namespace

DescriptionView ParseDescription(std::string_view html) {
  DescriptionView view;
  if (html.empty()) return view;
  thread_local ParseArena arena;
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &ParseArena::Allocate;
  options.deallocator = &ParseArena::Free;
  options.userdata = &arena;
  const GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
  DescriptionWalker walker(view);
  walker.Walk(output->document);
  walker.Finish();
  arena.Rewind();  // the whole tree lived in the arena: nothing else to free
  return view;
}

ProductView ParseProduct(const json::object& data) {
  ProductView p;
  p.id = StringOf(data, "id");
  p.title = StringOf(data, "title");
  p.handle = StringOf(data, "handle");
  p.status = StringOf(data, "status");
  p.vendor = StringOf(data, "vendor");
  p.product_type = StringOf(data, "productType");
  if (const auto* tags = ArrayOf(data, "tags")) {
    for (const auto& tag : *tags) {
      if (tag.is_string()) p.tags.emplace_back(tag.get_string());
    }
  }
  p.description_html = StringOf(data, "descriptionHtml");
  p.description = ParseDescription(p.description_html);
  if (const auto* seo = data.if_contains("seo"); seo && seo->is_object()) {
    p.seo_title = OptionalStringOf(seo->get_object(), "title");
    p.seo_description = OptionalStringOf(seo->get_object(), "description");
  }
  if (const auto* options = ArrayOf(data, "options")) {
    for (const auto& o : *options) {
      if (!o.is_object()) continue;
      OptionView option;
      option.name = StringOf(o.get_object(), "name");
      if (const auto* values = ArrayOf(o.get_object(), "values")) {
        for (const auto& v : *values) {
          if (v.is_string()) option.values.emplace_back(v.get_string());
        }
      }
      p.options.push_back(std::move(option));
    }
  }
  if (const auto* variants = ArrayOf(data, "variants")) {
    for (const auto& v : *variants) {
      if (!v.is_object()) continue;
      const auto& vo = v.get_object();
      VariantView variant;
      variant.id = StringOf(vo, "id");
      variant.title = StringOf(vo, "title");
      variant.price_cents = MoneyOf(vo.if_contains("price"));
      const auto* compare_at = vo.if_contains("compareAtPrice");
      if (compare_at && !compare_at->is_null()) variant.compare_at_cents = MoneyOf(compare_at);
      variant.inventory = IntegerOf(vo.if_contains("inventoryQuantity"));
      if (const auto* available = vo.if_contains("availableForSale"); available && available->is_bool()) {
        variant.available = available->get_bool();
      }
      p.variants.push_back(std::move(variant));
    }
  }
  // Media (MediaImage nodes); an export with only `images` (plain Image nodes) is read the same way.
  const json::array* media = ArrayOf(data, "media");
  if (media == nullptr || media->empty()) media = ArrayOf(data, "images");
  if (media) {
    for (const auto& m : *media) {
      if (!m.is_object()) continue;
      const auto& mo = m.get_object();
      const auto type = StringOf(mo, "mediaContentType");
      if (!type.empty() && type != "IMAGE") continue;  // videos and 3D models are not images
      p.images.push_back(ParseImage(mo));
    }
  }
  if (const auto* metafields = ArrayOf(data, "metafields")) {
    for (const auto& m : *metafields) {
      if (!m.is_object()) continue;
      const auto ns = StringOf(m.get_object(), "namespace");
      const auto key = StringOf(m.get_object(), "key");
      if (ns == "reviews" && (key == "rating" || key == "rating_count")) p.has_review_metafields = true;
      // The bulk query asks for metafields(namespace: "$app"), which Shopify answers with the resolved
      // "app--<id>" namespace; exports may carry either.
      if (ns == "$app" || ns.starts_with("app--")) p.app_metafield_keys.push_back(key);
    }
  }
  return p;
}

}  // namespace pagelift::recommend
