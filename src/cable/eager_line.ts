// The line of the script-tag build: a classic script inlines every dynamic import, so lazy_line.ts's wrapper
// would only add bytes there (vite.config.ts puts this module in its place).
export { SocketLine as LazyLine } from "./socket_line"
