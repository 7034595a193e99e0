-- panos: XML API answers in PAN-OS's documented shape (fixture), offline.
local t = require("testing")
local CFG = { base_url = "https://fw.example.org" }

return {
  ["fixture: tag, address with the tag, a delete that fails, a delete, a bad key"] = function()
    local p = integration("panos", { fixture = "objects", config = CFG })
    t.eq(p.tag_add{ name = "soar-blocked", color = "color1" },
      { ok = true, name = "soar-blocked", code = 20, message = "command succeeded" })
    t.eq(p.address_add{ name = "soar-185.220.101.4", ip = "185.220.101.4/32", tags = { "soar-blocked" },
                        description = "abuseipdb 100 <tor>" }.ok, true)
    local none, err, detail = p.address_delete{ name = "nope" }
    t.eq({ none, err, detail }, { nil, "http", "PAN-OS: Object doesn't exist (code 12)" })
    t.eq(p.address_delete{ name = "soar-185.220.101.4" }.ok, true)
    local _, derr = p.address_delete{ name = "x" }
    t.eq(derr, "denied")
  end,

  ["names and values that would break the XPath or the XML are refused"] = function()
    local p = integration("panos", { fixture = "objects", config = CFG })
    t.raises(function() p.address_add{ name = "x']/../entry[@name='y", ip = "192.0.2.1" } end, "name must be")
    t.raises(function() p.address_add{ name = "ok", ip = "192.0.2.1<x/>" } end, "ip must be")
    t.raises(function() p.tag_add{ name = "t", color = "red" } end, "color is color1")
  end,

  ["mock"] = function()
    t.eq(integration("panos", { mock = true }).address_add{ name = "a", ip = "192.0.2.1" }.ok, true)
  end,
}
