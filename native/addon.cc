// Node-API binding of BuildDepPool: `new Pool(options)`, `pool.resolve(...)`, `pool.close()`.
#include <napi.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "build_dep_pool.h"

extern "C" {
#include <solv/solvversion.h>
}

namespace koschei {
namespace {

std::vector<std::string> stringArray(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be an array of strings");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> strings;
  strings.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) {
      throw Napi::TypeError::New(value.Env(), std::string(what) + " must be an array of strings");
    }
    strings.push_back(item.As<Napi::String>().Utf8Value());
  }
  return strings;
}

std::string stringProperty(const Napi::Object& object, const char* key, bool required) {
  Napi::Value value = object.Get(key);
  if (value.IsString()) return value.As<Napi::String>().Utf8Value();
  if (!required && (value.IsUndefined() || value.IsNull())) return "";
  throw Napi::TypeError::New(object.Env(), std::string(key) + " must be a string");
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
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "Pool options must be an object");
    Napi::Object options = info[0].As<Napi::Object>();
    PoolOptions poolOptions;
    poolOptions.arch = stringProperty(options, "arch", false);
    if (poolOptions.arch.empty()) poolOptions.arch = "x86_64";
    poolOptions.repoDirs = stringArray(options.Get("repos"), "repos");
    poolOptions.cacheDir = stringProperty(options, "cacheDir", false);
    poolOptions.ignoreWeakDeps = options.Get("ignoreWeakDeps").ToBoolean().Value();
    try {
      pool_ = std::make_unique<BuildDepPool>(poolOptions);
    } catch (const std::exception& error) {
      throw Napi::Error::New(env, error.what());
    }
  }

 private:
  BuildDepPool& open(Napi::Env env) {
    if (!pool_) throw Napi::Error::New(env, "the pool is closed");
    return *pool_;
  }

  Napi::Value Resolve(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    BuildDepPool& pool = open(env);
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "source package must be an object");
    Napi::Object sourceObject = info[0].As<Napi::Object>();
    SourcePackage source;
    source.name = stringProperty(sourceObject, "name", true);
    source.version = stringProperty(sourceObject, "version", true);
    source.release = stringProperty(sourceObject, "release", true);
    Napi::Value epoch = sourceObject.Get("epoch");
    if (epoch.IsNumber()) {
      double value = epoch.As<Napi::Number>().DoubleValue();
      if (value < 0 || value > 4294967295.0 || value != static_cast<uint32_t>(value)) {
        throw Napi::TypeError::New(env, "epoch must be a non-negative integer");
      }
      source.epoch = static_cast<uint32_t>(value);
    } else if (!epoch.IsUndefined() && !epoch.IsNull()) {
      throw Napi::TypeError::New(env, "epoch must be a number");
    }
    std::vector<std::string> buildRequires = stringArray(info[1], "buildRequires");
    std::vector<std::string> buildGroup = stringArray(info[2], "buildGroup");

    Resolution resolution = pool.resolve(source, buildRequires, buildGroup);

    Napi::Object result = Napi::Object::New(env);
    result.Set("resolved", Napi::Boolean::New(env, resolution.resolved));
    Napi::Array problems = Napi::Array::New(env, resolution.problems.size());
    for (size_t i = 0; i < resolution.problems.size(); i++) {
      problems.Set(i, Napi::String::New(env, resolution.problems[i]));
    }
    result.Set("problems", problems);
    if (!resolution.resolved) {
      result.Set("installsJson", env.Null());
      return result;
    }
    // The install list goes back as JSON text: far cheaper than hundreds of JS objects to
    // create here and to copy between threads, and printable as it is.
    result.Set("installsJson", installsJson(pool.pool(), resolution.installs));
    return result;
  }

  Napi::Value CompsGroups(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object groups = Napi::Object::New(env);
    for (const auto& [id, members] : open(env).compsGroups()) {
      Napi::Array names = Napi::Array::New(env, members.size());
      for (size_t i = 0; i < members.size(); i++) names.Set(i, members[i]);
      groups.Set(id, names);
    }
    return groups;
  }

  Napi::Value Repos(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::vector<LoadedRepo>& repos = open(env).repos();
    Napi::Array list = Napi::Array::New(env, repos.size());
    for (size_t i = 0; i < repos.size(); i++) {
      Napi::Object entry = Napi::Object::New(env);
      entry.Set("dir", repos[i].dir);
      entry.Set("packages", repos[i].packages);
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
