import { test } from "node:test";
import assert from "node:assert/strict";
import { regTypeStr, PTR_MAYBE_NULL, PTR_TRUSTED, MEM_RCU, MEM_RDONLY } from "./reg-type.js";

// Expected strings are the kernel's, as they appear in 7.2 selftest messages.
test("reg_type_str spellings", () => {
  assert.equal(regTypeStr("PTR_TO_MAP_VALUE", PTR_MAYBE_NULL), "map_value_or_null"); // verifier_and.c logs
  assert.equal(regTypeStr("PTR_TO_BTF_ID", PTR_TRUSTED), "trusted_ptr_");
  assert.equal(regTypeStr("PTR_TO_BTF_ID", MEM_RCU | PTR_MAYBE_NULL), "rcu_ptr_or_null_");
  assert.equal(regTypeStr("PTR_TO_MEM", MEM_RDONLY), "rdonly_mem");
  assert.equal(regTypeStr("PTR_TO_STACK", 0), "fp");
  assert.equal(regTypeStr("NOT_INIT", 0), "?");
});
