/**
 * The slice of fengari's C-like API (lua.h, lauxlib.h, lualib.h, in JS) that
 * the fengari runner uses; fengari ships no types of its own.
 */
declare module 'fengari' {
  /** A lua_State. */
  export interface LuaState {
    readonly __luaState: unique symbol;
  }
  interface Lua {
    readonly LUA_OK: number;
    readonly LUA_REGISTRYINDEX: number;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_pushstring(L: LuaState, s: Uint8Array): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_rawseti(L: LuaState, index: number, n: number): void;
    lua_rawgeti(L: LuaState, index: number, n: number): number;
    lua_setglobal(L: LuaState, name: Uint8Array): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_tojsstring(L: LuaState, index: number): string;
    lua_pop(L: LuaState, n: number): void;
    lua_close(L: LuaState): void;
  }
  interface Lauxlib {
    luaL_newstate(): LuaState;
    luaL_loadfilex(L: LuaState, filename: Uint8Array, mode: Uint8Array | null): number;
    luaL_ref(L: LuaState, t: number): number;
  }
  interface Lualib {
    luaL_openlibs(L: LuaState): void;
  }
  const fengari: {
    readonly lua: Lua;
    readonly lauxlib: Lauxlib;
    readonly lualib: Lualib;
    readonly FENGARI_RELEASE: string;
    to_luastring(s: string): Uint8Array;
  };
  export default fengari;
}
