// Node-API binding of BuildDepPool: `new Pool(options)`, `pool.resolve(...)`, `pool.close()`.
#include <napi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "build_dep_pool.h"
#include "depsolve_error.h"

extern "C" {
#include <solv/solvversion.h>
}

namespace koschei {
namespace {

// Longer strings are refused: no package name, dependency or path comes near it, and each
// distinct string stays in the pool's string table for the pool's lifetime.
constexpr size_t kMaxStringBytes = 65536;

[[noreturn]] void invalid(const std::string& message) {
  throw DepsolveFailure(ErrorCode::InvalidArgument, message);
}

/**
 * Runs one entry point, turning a DepsolveFailure into a JS Error whose `code` names it
 * (src/depsolve/pool.ts makes it a DepsolveError). Any other C++ exception becomes a plain JS
 * Error (NODE_ADDON_API_CPP_EXCEPTIONS_ALL).
 */
template <typename Body>
auto withErrorCodes(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const DepsolveFailure& failure) {
    Napi::Error error = Napi::Error::New(env, failure.what());
    error.Set("code", errorCodeName(failure.code()));
    throw error;
  }
}

/** The UTF-8 text of a JS string, refusing what libsolv's C strings cannot hold. */
std::string checkedString(const Napi::Value& value, const std::string& what) {
  if (!value.IsString()) invalid(what + " must be a string");
  std::string text = value.As<Napi::String>().Utf8Value();
  if (text.size() > kMaxStringBytes) {
    invalid(what + " is longer than " + std::to_string(kMaxStringBytes) + " bytes");
  }
  // libsolv would silently read only up to the first NUL.
  if (text.find('\0') != std::string::npos) invalid(what + " contains a NUL character");
  return text;
}

std::vector<std::string> stringArray(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) invalid(std::string(what) + " must be an array of strings");
  Napi::Array array = value.As<Napi::Array>();
  // No reserve(): the length of a sparse array says nothing about the memory it needs.
  std::vector<std::string> strings;
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    std::string element = std::string(what) + "[" + std::to_string(i) + "]";
    if (!item.IsString()) {
      invalid(std::string(what) + " must be an array of strings (" + element + " is not a string)");
    }
    strings.push_back(checkedString(item, element));
  }
  return strings;
}

/** A boolean option; absent (undefined or null) is false. */
bool optionalBoolean(const Napi::Object& object, const char* key) {
  Napi::Value value = object.Get(key);
  if (value.IsUndefined() || value.IsNull()) return false;
  if (!value.IsBoolean()) invalid(std::string(key) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::string stringProperty(const Napi::Object& object, const char* key, bool required) {
  Napi::Value value = object.Get(key);
  if (!required && (value.IsUndefined() || value.IsNull())) return "";
  return checkedString(value, key);
}

/** Splits libsolv's "[E:]V[-R]" into its parts (epoch 0 when absent). */
void splitEvr(const char* evr, uint32_t& epoch, std::string& version, std::string& release) {
  const char* start = evr;
  const char* p = evr;
  while (*p >= '0' && *p <= '9') p++;
  epoch = 0;
  if (*p == ':' && p != evr) {
    epoch = static_cast<uint32_t>(std::strtoul(evr, nullptr, 10));
    start = p + 1;
  }
  const char* dash = std::strrchr(start, '-');
  if (dash) {
    version.assign(start, dash - start);
    release.assign(dash + 1);
  } else {
    version.assign(start);
    release.clear();
  }
}

void appendJsonString(std::string& out, const char* text) {
  out.push_back('"');
  for (const unsigned char* p = reinterpret_cast<const unsigned char*>(text); *p; p++) {
    if (*p == '"' || *p == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(*p));
    } else if (*p < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", *p);
      out += escaped;
    } else {
      out.push_back(static_cast<char>(*p));
    }
  }
  out.push_back('"');
}

/** [{"name","epoch","version","release","arch","distance"}, ...] in the order given. */
std::string installsJson(const Pool* pool, const std::vector<Install>& installs) {
  std::string json = "[";
  std::string version, release;
  for (size_t i = 0; i < installs.size(); i++) {
    const Solvable* s = pool->solvables + installs[i].solvable;
    uint32_t epoch;
    splitEvr(pool_id2str(pool, s->evr), epoch, version, release);
    json += i ? ",{\"name\":" : "{\"name\":";
    appendJsonString(json, pool_id2str(pool, s->name));
    json += ",\"epoch\":" + std::to_string(epoch) + ",\"version\":";
    appendJsonString(json, version.c_str());
    json += ",\"release\":";
    appendJsonString(json, release.c_str());
    json += ",\"arch\":";
    appendJsonString(json, pool_id2str(pool, s->arch));
    json += ",\"distance\":";
    json += installs[i].distance ? std::to_string(installs[i].distance) : "null";
    json += "}";
  }
  json += "]";
  return json;
}

class PoolWrap : public Napi::ObjectWrap<PoolWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Pool",
                       {InstanceMethod<&PoolWrap::Resolve>("resolve"),
                        InstanceAccessor<&PoolWrap::CompsGroups>("compsGroups"),
                        InstanceMethod<&PoolWrap::Close>("close"),
                        InstanceAccessor<&PoolWrap::Repos>("repos")});
  }

  explicit PoolWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PoolWrap>(info) {
    withErrorCodes(info.Env(),
                   [&] { pool_ = std::make_unique<BuildDepPool>(poolOptions(info[0])); });
  }

 private:
  static PoolOptions poolOptions(const Napi::Value& value) {
    if (!value.IsObject()) invalid("Pool options must be an object");
    Napi::Object options = value.As<Napi::Object>();
    PoolOptions poolOptions;
    poolOptions.arch = stringProperty(options, "arch", false);
    if (poolOptions.arch.empty()) poolOptions.arch = "x86_64";
    poolOptions.repoDirs = stringArray(options.Get("repos"), "repos");
    poolOptions.cacheDir = stringProperty(options, "cacheDir", false);
    poolOptions.ignoreWeakDeps = optionalBoolean(options, "ignoreWeakDeps");
    poolOptions.excludeOlderDuplicates = optionalBoolean(options, "excludeOlderDuplicates");
    return poolOptions;
  }

  BuildDepPool& open() {
    if (!pool_) throw DepsolveFailure(ErrorCode::PoolClosed, "the pool is closed");
    return *pool_;
  }

  static uint32_t epochProperty(const Napi::Object& source) {
    Napi::Value epoch = source.Get("epoch");
    if (epoch.IsUndefined() || epoch.IsNull()) return 0;
    if (!epoch.IsNumber()) invalid("epoch must be a number");
    double value = epoch.As<Napi::Number>().DoubleValue();
    // Checked before the cast, which is undefined for NaN and out-of-range values.
    if (!(value >= 0 && value <= 4294967295.0) || std::floor(value) != value) {
      invalid("epoch must be an integer from 0 to 4294967295");
    }
    return static_cast<uint32_t>(value);
  }

  Napi::Value Resolve(const Napi::CallbackInfo& info) {
    return withErrorCodes(info.Env(), [&] { return resolve(info); });
  }

  Napi::Value resolve(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) invalid("source package must be an object");
    Napi::Object sourceObject = info[0].As<Napi::Object>();
    SourcePackage source;
    source.name = stringProperty(sourceObject, "name", true);
    source.version = stringProperty(sourceObject, "version", true);
    source.release = stringProperty(sourceObject, "release", true);
    source.epoch = epochProperty(sourceObject);
    std::vector<std::string> buildRequires = stringArray(info[1], "buildRequires");
    std::vector<std::string> buildGroup = stringArray(info[2], "buildGroup");

    // JS code (a getter above, a setter inherited by the objects made below) may close the
    // pool: it is used only between here and the first JS object made.
    BuildDepPool& pool = open();
    Resolution resolution = pool.resolve(source, buildRequires, buildGroup);
    // The install list goes back as JSON text: far cheaper than hundreds of JS objects to
    // create here and to copy between threads, and printable as it is.
    std::string installs = resolution.resolved ? installsJson(pool.pool(), resolution.installs) : "";

    Napi::Object result = Napi::Object::New(env);
    result.Set("resolved", Napi::Boolean::New(env, resolution.resolved));
    Napi::Array problems = Napi::Array::New(env, resolution.problems.size());
    for (size_t i = 0; i < resolution.problems.size(); i++) {
      problems.Set(i, Napi::String::New(env, resolution.problems[i]));
    }
    result.Set("problems", problems);
    result.Set("installsJson", resolution.resolved ? Napi::Value(Napi::String::New(env, installs))
                                                   : env.Null());
    return result;
  }

  Napi::Value CompsGroups(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    // Copied first, like the repos below: a setter inherited by the JS objects made from them
    // could close the pool.
    const koschei::CompsGroups comps = withErrorCodes(env, [&] { return open().compsGroups(); });
    Napi::Object groups = Napi::Object::New(env);
    for (const auto& [id, members] : comps) {
      Napi::Array names = Napi::Array::New(env, members.size());
      for (size_t i = 0; i < members.size(); i++) names.Set(i, members[i]);
      // Defined, not assigned: a group named "__proto__" must not replace the prototype.
      groups.DefineProperty(Napi::PropertyDescriptor::Value(id, names, napi_default_jsproperty));
    }
    return groups;
  }

  Napi::Value Repos(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::vector<LoadedRepo> repos = withErrorCodes(env, [&] { return open().repos(); });
    Napi::Array list = Napi::Array::New(env, repos.size());
    for (size_t i = 0; i < repos.size(); i++) {
      Napi::Object entry = Napi::Object::New(env);
      entry.Set("dir", repos[i].dir);
      entry.Set("packages", repos[i].packages);
      entry.Set("excluded", repos[i].excluded);
      entry.Set("fromCache", repos[i].fromCache);
      entry.Set("cacheFile", repos[i].cacheFile);
      list.Set(i, entry);
    }
    return list;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    pool_.reset();
    return info.Env().Undefined();
  }

  // Freed by close() or, failing that, when the JS object is garbage-collected.
  std::unique_ptr<BuildDepPool> pool_;
};

}  // namespace
}  // namespace koschei

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Pool", koschei::PoolWrap::Define(env));
  exports.Set("libsolvVersion", Napi::String::New(env, solv_version));
  return exports;
}

NODE_API_MODULE(koschei_solv, InitModule)
