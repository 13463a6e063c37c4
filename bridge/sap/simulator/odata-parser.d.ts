// odata-parser ships no types: its parse() returns an untyped AST, checked by zod in query.ts.
declare module 'odata-parser' {
  const odata: { parse(query: string): unknown };
  export default odata;
}
