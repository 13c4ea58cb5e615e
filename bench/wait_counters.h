// bench/wait_counters.h — how napix's waiters spun or blocked, as the JS object the bench reads
// ({spinsHit, spinsMissed, blockedAtOnce, sleeps}); shared by the round-trip and task benches.
#pragma once

#include "napix/config.h"
#include "napix/detail/spin.h"

inline Napi::Object wait_counters_to_js(Napi::Env env, const napix::detail::WaitCounters& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("spinsHit", double(c.spins_hit));
  o.Set("spinsMissed", double(c.spins_missed));
  o.Set("blockedAtOnce", double(c.blocked_at_once));
  o.Set("sleeps", double(c.sleeps));
  return o;
}
