export * from "./infra.js";
export * from "./kafka-broker.js";
export * from "./ferretdb.js";
export * from "./paths.js";
export * from "./processes.js";
export * from "./service-process.js";
export * from "./schema-registry.js";
export * from "./jaeger.js";
