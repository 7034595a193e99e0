-- base64 and hex (see docs/lua-api.md).
local t = require("testing")

return {
  ["base64 matches the RFC 4648 vectors"] = function()
    local vectors = { [""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==",
      fooba = "Zm9vYmE=", foobar = "Zm9vYmFy" }
    for plain, coded in pairs(vectors) do
      t.eq(base64.encode(plain), coded)
      t.eq(base64.decode(coded), plain)
    end
  end,

  ["url-safe base64 has its own alphabet and no padding"] = function()
    t.eq(base64.encode("\251\255\191"), "+/+/")
    t.eq(base64.encode("\251\255\191", { url = true }), "-_-_")
    t.eq(base64.encode("f", { url = true }), "Zg")
    t.eq(base64.decode("Zg", { url = true }), "f")
    local all = {}
    for i = 0, 255 do all[#all + 1] = string.char(i) end
    local s = table.concat(all)
    t.eq(base64.decode(base64.encode(s, { url = true }), { url = true }), s)
  end,

  ["invalid base64 is data: nil and the offset"] = function()
    t.eq({ base64.decode("Zm9v!") }, { nil, "invalid base64 at offset 4" })
    t.eq({ base64.decode("Zm 9v") }, { nil, "invalid base64 at offset 2" })
    t.eq({ base64.decode("Zg=") }, { nil, "invalid base64 at offset 3" })
    t.eq({ base64.decode("-_-_") }, { nil, "invalid base64 at offset 0" })
  end,

  ["hex round trips and reports bad digits"] = function()
    t.eq(hex.encode("\0\255ab"), "00ff6162")
    t.eq(hex.decode("00FF6162"), "\0\255ab")
    t.eq({ hex.decode("0g") }, { nil, "invalid hex at offset 1" })
    t.eq({ hex.decode("abc") }, { nil, "invalid hex at offset 3" })
  end,

  ["misuse raises"] = function()
    t.raises(function() base64.encode() end, "base64%.encode: argument 1 is missing")
    t.raises(function() base64.encode("x", { urlsafe = true }) end, "unknown option urlsafe")
    t.raises(function() hex.decode({}) end, "hex%.decode: argument 1 is table")
  end,
}
