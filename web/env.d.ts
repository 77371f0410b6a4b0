/** The guest sources, bundled as text by web/build.mjs: absolute path (`/guests/...`) → file text. */
declare module 'virtual:guest-sources' {
  const files: Readonly<Record<string, string>>;
  export default files;
}
