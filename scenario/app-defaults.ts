// Defaults of an app's model fields when a scenario leaves them out (applied by validate.ts;
// the simulator's sim-app.ts plays what the scenario then says).

/**
 * Share of an app's cold pages (outside its working set, untouched past the cold age) touched
 * again per second: 0.2 % per minute. Google's far memory (Lagar-Cavilla et al., "Software-Defined
 * Far Memory in Warehouse-Scale Computers", ASPLOS 2019) calls a page cold after 120 s untouched
 * and measures that cold memory comes back ("promotion rate") at up to 0.2 % of it per minute,
 * the rate its SLO is set to. So evicting cold memory is cheap, not free.
 */
export const COLD_TOUCH_PER_SEC = 0.002 / 60;

/**
 * Share of an app's anon pages it shares with other processes when the scenario gives none: the
 * zygote's preloaded heap every Android app maps copy-on-write and never writes (source.android.com
 * "Overview of memory management": framework code and resources preloaded in zygote are shared
 * across apps). 10 % is an assumption, not a measurement; meminfo's PSS < RSS shows such sharing.
 */
export const SHARED_ANON_SHARE = 0.1;
