-- json: strict RFC 8259 in both directions (see docs/lua-api.md, "json").
local t = require("testing")

return {
  ["decodes nested objects and arrays"] = function()
    local v = json.decode('{"a": [1, 2, {"b": null}], "c": "x", "d": true, "e": 1.5}')
    t.eq(v.a[1], 1)
    t.eq(v.a[3].b, json.null)
    t.eq(v.c, "x")
    t.eq(v.d, true)
    t.eq(v.e, 1.5)
    t.eq(#v.a, 3)
  end,

  ["encodes with sorted keys and pretty output"] = function()
    t.eq(json.encode({ b = 1, a = { 1, 2 }, c = json.null }, { sort_keys = true }),
      '{"a":[1,2],"b":1,"c":null}')
    t.eq(json.encode({ a = { x = true } }, { pretty = true }), '{\n  "a": {\n    "x": true\n  }\n}')
  end,

  ["empty arrays survive a round trip"] = function()
    t.eq(json.encode(json.decode("[]")), "[]")
    t.eq(json.encode({}), "{}")
    t.eq(json.encode(json.array()), "[]")
    local list = json.array({})
    t.eq(json.encode({ items = list }), '{"items":[]}')
  end,

  ["integers keep every digit"] = function()
    t.eq(json.encode({ id = 1234567890123456 }), '{"id":1234567890123456}')
    t.eq(json.decode("9007199254740992"), 2 ^ 53)
    -- Beyond 2^53 a double would change the value: the digits come back as a string.
    t.eq(json.decode('{"id": 9007199254740993}').id, "9007199254740993")
    t.eq(json.encode(0.1), "0.1")
  end,

  ["invalid numbers are refused both ways"] = function()
    for _, text in ipairs({ "NaN", "Infinity", "-Infinity", "0x1F", "+1", "01", "1.", ".5", "1e400" }) do
      local v, err = json.decode(text)
      t.eq(v, nil, text)
      t.match(err, "at offset %d+$", text)
    end
    t.raises(function() json.encode({ a = { 1, 0 / 0 } }) end, "NaN is not valid JSON at %$%.a%[2%]")
    t.raises(function() json.encode(math.huge) end, "inf is not valid JSON")
  end,

  ["invalid UTF-8 and raw control characters are data errors with an offset"] = function()
    t.eq(select(2, json.decode('"ab\255"')), "invalid UTF-8 at offset 3")
    t.eq(select(2, json.decode('"a\tb"')), "control character in string (must be escaped) at offset 2")
    t.eq(json.decode('"\\u00e9\\ud83d\\ude00"'), "\195\169\240\159\152\128")
    t.raises(function() json.encode("\255") end, "not UTF%-8")
    t.eq(json.encode("tab\there\1"), '"tab\\there\\u0001"')
  end,

  ["nesting is limited and a table that contains itself is an error"] = function()
    local deep = string.rep("[", 129) .. string.rep("]", 129)
    t.eq(select(2, json.decode(deep)), "nesting deeper than 128 at offset 128")
    t.ok(json.decode(deep, { max_depth = 200 }))
    local me = {}
    me.me = me
    t.raises(function() json.encode(me) end, "nesting deeper than 128 %(does a table contain itself%?%)")
  end,

  ["sparse, mixed and odd tables are refused clearly"] = function()
    t.raises(function() json.encode({ 1, nil, 3 }) end, "sparse array")
    t.raises(function() json.encode({ 1, x = 2 }) end, "mixes string keys and array indices")
    t.raises(function() json.encode({ [true] = 1 }) end, "table key of type boolean")
    t.raises(function() json.encode({ f = print }) end, "cannot encode a function at %$%.f")
  end,

  ["misuse raises, naming the call"] = function()
    t.raises(function() json.decode(nil) end, "json%.decode: text is missing")
    t.raises(function() json.encode({}, { indent = 2 }) end, "unknown option indent")
    t.raises(function() json.decode("1", { max_depth = 0 }) end, "max_depth must be an integer")
  end,
}
