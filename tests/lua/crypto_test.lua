-- crypto and uuid (see docs/lua-api.md).
local t = require("testing")

return {
  ["digests match published vectors"] = function()
    t.eq(crypto.sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    t.eq(crypto.sha1("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d")
    t.eq(crypto.md5("abc"), "900150983cd24fb0d6963f7d28e17f72")
    t.eq(#crypto.sha256("abc", { raw = true }), 32)
  end,

  ["HMAC-SHA256 matches RFC 4231"] = function()
    t.eq(crypto.hmac_sha256("Jefe", "what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    local long_key = string.rep("\170", 131) -- longer than the block: hashed first
    t.eq(crypto.hmac_sha256(long_key, "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    t.eq(hex.encode(crypto.hmac_sha256("Jefe", "what do ya want for nothing?", { raw = true })),
      crypto.hmac_sha256("Jefe", "what do ya want for nothing?"))
  end,

  ["random bytes and constant-time comparison"] = function()
    t.eq(#crypto.random(32), 32)
    t.eq(crypto.random(0), "")
    t.ok(crypto.random(16) ~= crypto.random(16))
    t.raises(function() crypto.random(2 ^ 20 + 1) end, "n must be a whole number from 0 to 1048576")
    t.eq(crypto.equal("secret", "secret"), true)
    t.eq(crypto.equal("secret", "secreT"), false)
    t.eq(crypto.equal("secret", "secret!"), false)
  end,

  ["uuids are canonical, versioned and ordered"] = function()
    local v4, v7 = uuid.v4(), uuid.v7()
    t.match(v4, "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$")
    t.match(v7, "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-7%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$")
    t.eq(v4:lower(), v4)
    local prev = uuid.v7()
    for _ = 1, 1000 do
      local u = uuid.v7()
      t.ok(u > prev, "v7 ids increase")
      prev = u
    end
    t.eq(uuid.valid(v7), true)
    t.eq(uuid.valid(v4:upper()), true)
    t.eq(uuid.valid("not-a-uuid"), false)
  end,
}
