-- time (see docs/lua-api.md).
local t = require("testing")

return {
  ["formats RFC 3339 in UTC, with fractions on request"] = function()
    t.eq(time.iso(0), "1970-01-01T00:00:00Z")
    t.eq(time.iso(951782400), "2000-02-29T00:00:00Z")
    t.eq(time.iso(1.25, { ms = true }), "1970-01-01T00:00:01.250Z")
    t.eq(time.iso(1.25, { us = true }), "1970-01-01T00:00:01.250000Z")
    t.eq(time.iso(1.999), "1970-01-01T00:00:01Z")
    t.match(time.iso(), "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$")
  end,

  ["formats in offsets and IANA zones"] = function()
    t.eq(time.iso(1719828000, { tz = "Europe/Paris" }), "2024-07-01T12:00:00+02:00")
    t.eq(time.iso(1704067200, { tz = "Europe/Paris" }), "2024-01-01T01:00:00+01:00")
    t.eq(time.iso(1719828000, { tz = "Australia/Sydney" }), "2024-07-01T20:00:00+10:00")
    t.eq(time.iso(0, { tz = "+05:30" }), "1970-01-01T05:30:00+05:30")
    t.eq({ time.iso(0, { tz = "Nowhere/Land" }) }, { nil, "unknown time zone" })
  end,

  ["parses ISO 8601 and RFC 3339"] = function()
    t.eq(time.parse("2024-02-29T12:00:00Z"), 1709208000)
    t.eq(time.parse("2024-02-29T13:00:00+01:00"), 1709208000)
    t.eq(time.parse("2024-02-29T13:00:00+0100"), 1709208000)
    t.eq(time.parse("2024-02-29T12:00:00.5Z"), 1709208000.5)
    t.eq(time.parse("2024-02-29"), 1709164800)
    t.eq(time.parse("20240229T120000Z"), 1709208000)
    t.eq(time.parse("2024-07-01T12:00:00", { tz = "Europe/Paris" }), 1719828000)
  end,

  ["bad dates are data: nil and a reason"] = function()
    t.eq({ time.parse("2023-02-29") }, { nil, "day out of range" })
    t.eq({ time.parse("2024-13-01") }, { nil, "month out of range" })
    t.eq({ time.parse("soon") }, { nil, "invalid date" })
    t.eq({ time.parse("2024-01-01T10:00:00Z trailing") }, { nil, "unexpected text after the time" })
  end,

  ["round trips and sane now"] = function()
    for _, s in ipairs({ "1999-12-31T23:59:59Z", "2024-02-29T00:00:00Z", "2100-03-01T12:34:56Z" }) do
      t.eq(time.iso(time.parse(s)), s)
    end
    t.ok(math.abs(time.now() - os.time()) < 2)
  end,

  ["misuse raises"] = function()
    t.raises(function() time.iso(1719828000000) end, "milliseconds instead of seconds")
    t.raises(function() time.iso(0, { zone = "UTC" }) end, "unknown option zone")
    t.raises(function() time.parse(42) end, "time%.parse: argument 1 is number")
  end,
}
