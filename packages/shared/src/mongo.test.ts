import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { namesWriteConcern } from "./mongo.js";

describe("namesWriteConcern", () => {
  it("finds w in the URL's options, whatever its case and place", () => {
    expect(namesWriteConcern("mongodb://db-1:27017,db-2:27017/agiletune?replicaSet=rs0&w=majority")).toBe(true);
    expect(namesWriteConcern("mongodb+srv://cluster.example.net/agiletune?W=2")).toBe(true);
  });

  it("finds none where the URL has no w (wtimeoutMS is not one)", () => {
    expect(namesWriteConcern("mongodb://localhost:27017/agiletune")).toBe(false);
    expect(namesWriteConcern("mongodb://localhost:27017/agiletune?replicaSet=rs0&wtimeoutMS=5000")).toBe(false);
  });

  // Why connectMongo leaves writeConcern out when the URL names one: the driver's option wins.
  it("is needed: MongoClient's writeConcern option overrides the URL's w", () => {
    const client = new MongoClient("mongodb://db-1:27017/agiletune?w=majority", { writeConcern: { w: 1 } });
    expect(client.options.writeConcern?.w).toBe(1);
  });
});
