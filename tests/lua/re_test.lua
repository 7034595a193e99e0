-- re: PCRE2 regular expressions (see docs/lua-api.md).
local t = require("testing")

return {
  ["match returns captures, or the whole match"] = function()
    t.eq(re.match("hello world", "\\w+"), "hello")
    t.eq({ re.match("key=value", "(\\w+)=(\\w+)") }, { "key", "value" })
    t.eq({ re.match("ac", "a(b)?(c)") }, { false, "c" })
    t.eq(re.match("abc", "x"), nil)
    t.eq(re.match("ABC", "abc", "i"), "ABC")
  end,

  ["find gives positions like string.find"] = function()
    t.eq({ re.find("hello", "l+") }, { 3, 4 })
    t.eq({ re.find("hello", "l(l)(o)") }, { 3, 5, "l", "o" })
    t.eq({ re.find("abab", "ab", nil, 2) }, { 3, 4 })
    t.eq(re.find("abab", "x"), nil)
  end,

  ["gmatch iterates, empty matches included"] = function()
    local words = {}
    for w in re.gmatch("one two  three", "\\w+") do words[#words + 1] = w end
    t.eq(words, { "one", "two", "three" })
    local pairs_ = {}
    for k, v in re.gmatch("a=1, b=2", "(\\w)=(\\d)") do pairs_[k] = tonumber(v) end
    t.eq(pairs_, { a = 1, b = 2 })
  end,

  ["gsub with strings, tables and functions"] = function()
    t.eq({ re.gsub("john smith", "(\\w+) (\\w+)", "$2, $1") }, { "smith, john", 1 })
    t.eq({ re.gsub("2024-11-27", "(?<y>\\d+)-(?<m>\\d+)-(?<d>\\d+)", "${d}/${m}/${y}") },
      { "27/11/2024", 1 })
    t.eq({ re.gsub("a b", "\\w", { a = "A" }) }, { "A b", 2 })
    t.eq({ re.gsub("x=1 y=2", "(\\w)=(\\d)", function(k, v) return v .. k end) }, { "1x 2y", 2 })
    t.eq({ re.gsub("cost: $5", "\\$", "$$$$") }, { "cost: $$5", 1 })
  end,

  ["split is like JavaScript's"] = function()
    t.eq(re.split("a,b,,c", ","), { "a", "b", "", "c" })
    t.eq(re.split("a , b,c", "\\s*,\\s*"), { "a", "b", "c" })
    t.eq(re.split("abc", ""), { "a", "b", "c" })
  end,

  ["UTF-8 mode counts characters and checks the subject"] = function()
    t.eq(re.match("\195\169", "^.$"), nil)
    t.eq(re.match("\195\169", "^.$", "u"), "\195\169")
    t.eq({ re.match("ab\255", ".", "u") }, { nil, "invalid UTF-8 at offset 2" })
  end,

  ["catastrophic backtracking is a quick data error"] = function()
    local t0 = os.clock()
    t.eq({ re.match(string.rep("a", 40) .. "b", "(a+)+$") }, { nil, "match limit exceeded" })
    t.ok(os.clock() - t0 < 1, "stopped quickly")
  end,

  ["bad patterns and flags raise, naming the offset"] = function()
    t.raises(function() re.match("x", "(a") end, "invalid pattern at offset 2: missing closing parenthesis")
    t.raises(function() re.match("x", "x", "q") end, "unknown flag 'q'")
    t.raises(function() re.gsub("x", "(x)", "$2") end, "refers to group 2")
  end,
}
