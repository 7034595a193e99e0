-- msgraph_mail: token, list, move in Graph's documented shapes (fixture), offline.
local t = require("testing")
local CFG = { tenant_id = "00000000-1111-2222-3333-444444444444", client_id = "app-1" }

return {
  ["fixture: read the phishing mailbox, move a message, a bad client secret"] = function()
    local g = integration("msgraph_mail", { fixture = "mailbox", config = CFG })
    local r = g.list_messages{ mailbox = "phishing@example.org", top = 2 }
    t.eq(#r.messages, 2)
    t.eq(r.more, true)
    t.eq(r.messages[1], { id = "AAMkAGI2THVSAAA=", subject = "FW: Invoice overdue",
      from_address = "alice@example.org", from_name = "Alice Example", received = "2026-12-03T09:58:00Z",
      preview = "Please see the attached invoice...", has_attachments = true, is_read = false,
      internet_message_id = "<abc123@mail.example.net>" })
    local moved = g.move_message{ mailbox = "phishing@example.org", id = r.messages[1].id,
                                  destination = "deleteditems" }
    t.eq(moved, { id = "AAMkAGI2THVSAAB=", folder = "AAMkAGI2AAEKAAA=" })
    local none, err = g.list_messages{ mailbox = "phishing@example.org" }
    t.eq({ none, err }, { nil, "denied" })
  end,

  ["misuse raises before any request"] = function()
    local g = integration("msgraph_mail", { fixture = "mailbox", config = CFG })
    t.raises(function() g.list_messages{ mailbox = "not a mailbox" } end, "mailbox must be an address")
    t.raises(function() g.move_message{ mailbox = "a@example.org", id = "../x", destination = "archive" } end,
      "bad message id")
    local unset = integration("msgraph_mail", { fixture = "mailbox" })
    t.raises(function() unset.list_messages{ mailbox = "a@example.org" } end, "set tenant_id and client_id")
  end,

  ["mocks generated from the outputs"] = function()
    local g = integration("msgraph_mail", { mock = true })
    t.ok(type(g.list_messages{ mailbox = "a@example.org" }.messages) == "table")
  end,
}
