/**
 * fengari: a Lua 5.3 VM written in JavaScript, run in this process — the
 * closest peer to typevisor (a bytecode interpreter hosted on V8). It runs the
 * very scripts lua5.4 runs (bench/peers/lua): each chunk, called with
 * "--module", hands back its checksum function (see harness.lua), which is
 * timed from JS around lua_pcall. A fresh Lua state per benchmark.
 */
import fengari, { type LuaState } from 'fengari';
import { BenchError } from '../bench-error.js';
import { luaPeer } from '../sources.js';
import type { Benchmark, Sized } from '../suite.js';
import type { RunPlan, Timed } from '../timing.js';
import { packageVersion, timeScript, type Availability, type LoadedScript, type PeerRunner } from './runner.js';

const { lua, lauxlib, lualib, to_luastring } = fengari;

/** A Lua state with bench/peers/lua/NAME.lua loaded; call() runs its checksum function once. */
export class FengariScript implements LoadedScript {
  private readonly L: LuaState;
  private readonly ref: number;

  constructor(private readonly path: string) {
    const L = lauxlib.luaL_newstate();
    this.L = L;
    lualib.luaL_openlibs(L);
    // The script finds harness.lua next to itself through arg[0], as under lua5.4.
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushstring(L, to_luastring(path));
    lua.lua_rawseti(L, -2, 0);
    lua.lua_setglobal(L, to_luastring('arg'));
    if (lauxlib.luaL_loadfilex(L, to_luastring(path), null) !== lua.LUA_OK) this.fail('does not load');
    lua.lua_pushstring(L, to_luastring('--module'));
    if (lua.lua_pcall(L, 1, 1, 0) !== lua.LUA_OK) this.fail('failed');
    this.ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  private fail(what: string): never {
    const message = lua.lua_tojsstring(this.L, -1);
    lua.lua_close(this.L);
    throw new BenchError(`fengari: ${this.path} ${what}: ${message}`);
  }

  call(args: readonly number[]): string {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.ref);
    for (const a of args) lua.lua_pushinteger(L, a);
    if (lua.lua_pcall(L, args.length, 1, 0) !== lua.LUA_OK) this.fail('raised an error');
    const out = lua.lua_tojsstring(L, -1);
    lua.lua_pop(L, 1);
    return out;
  }

  close(): void {
    lua.lua_close(this.L);
  }
}

export class FengariRunner implements PeerRunner {
  readonly id = 'fengari' as const;
  readonly group = 'fengari' as const;
  readonly label = 'fengari';

  prepare(): Promise<Availability> {
    return Promise.resolve({ ok: true, version: `fengari ${packageVersion('fengari')}` });
  }

  measure(bench: Benchmark, size: Sized, plan: RunPlan): Promise<Timed> {
    return Promise.resolve(timeScript(new FengariScript(luaPeer(bench.name)), size, plan));
  }

  dispose(): void {}
}
