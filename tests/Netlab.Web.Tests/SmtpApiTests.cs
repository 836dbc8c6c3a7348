using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Netlab.Web.Tests;

/// <summary>The SMTP lab through the REST API, as a script would use it.</summary>
public class SmtpApiTests(SharedPortal portal) : PortalTest(portal)
{
    private byte[] Image => File.ReadAllBytes(Path.Combine(Factory.Services.GetRequiredService<Netlab.Labs.Core.LabEnvironment>().ContentRoot, "images", "netlab.png"));

    private async Task<(string Id, int Port)> StartSmtpAsync(object? options = null)
    {
        var started = await Client.PostAsJsonAsync("/api/servers", new { lab = "smtp", port = 0, options });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var server = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
        return ((string)server["id"]!, (int)server["port"]!);
    }

    private async Task<JsonObject> SendAsync(int port, object options)
    {
        var response = await Client.PostAsJsonAsync("/api/runs", new { probe = "smtp-send", target = new { host = "127.0.0.1", port }, options });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await Client.WaitForRunAsync((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
    }

    [Fact]
    public async Task Send_over_starttls_with_auth_and_an_image_then_read_it_back_from_the_mailbox()
    {
        var labs = (await Client.GetFromJsonAsync<JsonArray>("/api/labs"))!;
        var smtp = labs.Single(l => (string)l!["id"]! == "smtp")!;
        var options = smtp["probes"]!.AsArray().Single(p => (string)p!["kind"]! == "smtp-send")!["options"]!.AsArray();
        Assert.Equal("password", (string)options.Single(o => (string)o!["name"]! == "password")!["format"]!);
        Assert.Equal("upload", (string)options.Single(o => (string)o!["name"]! == "attachmentUpload")!["format"]!);

        var (id, port) = await StartSmtpAsync();
        var run = await SendAsync(port, new { startTls = true, auth = "Login", username = "student", password = "hunter2", attachment = "images/netlab.png", to = "a@netlab.test,b@netlab.test" });
        Assert.Equal("Succeeded", (string)run["status"]!);
        Assert.Equal(1, (double)run["summary"]!["delivered"]!);
        Assert.Equal(1, (double)run["summary"]!["tls"]!);
        Assert.Equal("****", (string)run["options"]!["password"]!); // the stored run keeps no secret
        var events = await Client.EventsAsync((string)run["id"]!);
        Assert.Contains(events, e => (string)e!["kind"]! == "transcriptLine" && (bool)e["secure"]! && ((string)e["text"]!).StartsWith("MAIL FROM:<student@netlab.test>"));
        Assert.DoesNotContain(events, e => ((string?)e!["text"])?.Contains(Convert.ToBase64String("hunter2"u8.ToArray())) == true);

        var list = (await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/mailbox"))!;
        var summary = Assert.Single(list)!;
        Assert.Equal(["a@netlab.test", "b@netlab.test"], summary["to"]!.AsArray().Select(t => (string)t!));
        Assert.True((bool)summary["tls"]!);
        Assert.Equal("student", (string)summary["user"]!);
        Assert.Equal(1, (int)summary["attachments"]!);

        var messageId = (string)summary["id"]!;
        var detail = await Client.GetJsonAsync($"/api/servers/{id}/mailbox/{messageId}");
        Assert.Equal("I love computer networks!\r\n", (string)detail["text"]!);
        var image = detail["parts"]!.AsArray().Single(p => (bool)p!["isAttachment"]!)!;
        Assert.Equal("image/png", (string)image["mediaType"]!);

        var part = await Client.GetAsync($"/api/servers/{id}/mailbox/{messageId}/parts/{image["path"]}");
        Assert.Equal(HttpStatusCode.OK, part.StatusCode);
        Assert.Equal("image/png", part.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("sandbox", part.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal(Image, await part.Content.ReadAsByteArrayAsync());
        var download = await Client.GetAsync($"/api/servers/{id}/mailbox/{messageId}/parts/{image["path"]}?download=true");
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);

        var raw = await Client.GetAsync($"/api/servers/{id}/mailbox/{messageId}/raw");
        Assert.Equal("message/rfc822", raw.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Content-Type: multipart/mixed", await raw.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/servers/{id}/mailbox/{messageId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/servers/{id}/mailbox/{messageId}")).StatusCode);
    }

    [Fact]
    public async Task An_uploaded_attachment_is_sent_and_the_stored_run_keeps_only_its_size()
    {
        var (id, port) = await StartSmtpAsync();
        var upload = $"data:text/csv;name=grades.csv;base64,{Convert.ToBase64String("name,grade\nalice,A\n"u8.ToArray())}";
        var run = await SendAsync(port, new { attachmentUpload = upload });
        Assert.Equal("Succeeded", (string)run["status"]!);
        Assert.StartsWith("(", (string)run["options"]!["attachmentUpload"]!);
        Assert.Contains("grades.csv", (string)run["options"]!["attachmentUpload"]!);
        var messageId = (string)(await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/mailbox"))![0]!["id"]!;
        var detail = await Client.GetJsonAsync($"/api/servers/{id}/mailbox/{messageId}");
        var csv = detail["parts"]!.AsArray().Single(p => (bool)p!["isAttachment"]!)!;
        Assert.Equal("grades.csv", (string)csv["fileName"]!);
        var part = await Client.GetAsync($"/api/servers/{id}/mailbox/{messageId}/parts/{csv["path"]}");
        Assert.Equal("attachment", part.Content.Headers.ContentDisposition!.DispositionType); // not an image: never inline
        Assert.Equal("name,grade\nalice,A\n", await part.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Fault_injection_set_through_the_api_fails_the_probe_at_that_stage()
    {
        var (id, port) = await StartSmtpAsync();
        var set = await Client.PutAsJsonAsync($"/api/servers/{id}/faults", new { stage = "Rcpt", code = 550, probability = 1.0 });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal("Rcpt", (string)(await Client.GetJsonAsync($"/api/servers/{id}/faults"))["stage"]!);

        var run = await SendAsync(port, new { });
        Assert.Equal("Failed", (string)run["status"]!);
        Assert.StartsWith("RCPT TO:<instructor@netlab.test>: expected 250 or 251, the server answered 550", (string)run["error"]!);
        Assert.Equal(550, (double)run["summary"]!["replyCode"]!);

        var off = await Client.PutAsJsonAsync($"/api/servers/{id}/faults", new { stage = "None" });
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        Assert.Equal("Succeeded", (string)(await SendAsync(port, new { }))["status"]!);
    }

    [Fact]
    public async Task Bad_requests_get_problem_details()
    {
        var (id, _) = await StartSmtpAsync();
        var badCode = await Client.PutAsJsonAsync($"/api/servers/{id}/faults", new { stage = "Mail", code = 250 });
        Assert.Equal(HttpStatusCode.BadRequest, badCode.StatusCode);
        Assert.NotNull((await badCode.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["code"]);

        var ping = await Client.StartServerAsync();
        var notSmtp = await Client.GetAsync($"/api/servers/{ping["id"]}/mailbox");
        Assert.Equal(HttpStatusCode.BadRequest, notSmtp.StatusCode);
        Assert.Contains("only SMTP servers", (string)(await notSmtp.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/servers/{id}/mailbox/M999999")).StatusCode);

        var badFrom = await Client.PostAsJsonAsync("/api/runs", new { probe = "smtp-send", target = new { host = "127.0.0.1", port = 25 }, options = new { from = "not an address" } });
        Assert.Equal(HttpStatusCode.BadRequest, badFrom.StatusCode);
        Assert.NotNull((await badFrom.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["options.from"]);

        var escape = await Client.PostAsJsonAsync("/api/runs", new { probe = "smtp-send", target = new { host = "127.0.0.1", port = 25 }, options = new { attachment = "../../etc/passwd" } });
        var run = await Client.WaitForRunAsync((string)(await escape.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        Assert.Equal("Failed", (string)run["status"]!);
        Assert.Contains("outside the lab content folder", (string)run["error"]!);

        var badAccounts = await Client.PostAsJsonAsync("/api/servers", new { lab = "smtp", port = 0, options = new { accounts = "nopassword", acceptAnyLogin = false } });
        Assert.Equal(HttpStatusCode.BadRequest, badAccounts.StatusCode);
    }

    private string MailboxDirectory(string serverId) => Path.Combine(Factory.DataDirectory, "servers", serverId, "mailbox");

    private static async Task<string> MessageFileAsync(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"netlab-mail-{Guid.NewGuid():N}.eml");
        await File.WriteAllTextAsync(path, text.ReplaceLineEndings("\r\n"));
        return path;
    }

    [Fact]
    public async Task Search_matches_subject_from_to_and_body_and_empty_removes_the_files()
    {
        var (id, port) = await StartSmtpAsync();
        Assert.All(await SmtplibSender.SendAsync(port, 3, "Weekly Report"), r => Assert.StartsWith("250 ", r));
        Assert.Equal(6, Directory.GetFiles(MailboxDirectory(id)).Length);

        async Task<List<string?>> SearchAsync(string q) =>
            [.. (await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/mailbox?q={Uri.EscapeDataString(q)}"))!.Select(m => (string?)m!["subject"])];
        Assert.Equal(["Weekly Report 3", "Weekly Report 2", "Weekly Report 1"], await SearchAsync("weekly REPORT"));
        Assert.Equal(["Weekly Report 2"], await SearchAsync("MESSAGE NUMBER 2")); // body text
        Assert.Equal(3, (await SearchAsync("inbox@netlab")).Count); // To
        Assert.Equal(3, (await SearchAsync("SENDER@")).Count); // From
        Assert.Empty(await SearchAsync("no such words"));
        var tooLong = await Client.GetAsync($"/api/servers/{id}/mailbox?q={new string('x', 201)}");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/servers/{id}/mailbox")).StatusCode);
        Assert.Empty((await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/mailbox"))!);
        Assert.Empty(Directory.GetFiles(MailboxDirectory(id)));
    }

    [Fact]
    public async Task Html_mail_is_served_closed_its_remote_content_blocked_and_its_cid_image_inlined()
    {
        var (id, port) = await StartSmtpAsync();
        var image = Convert.ToBase64String(Image);
        var tracked = await MessageFileAsync($"""
            From: Tracker <t@netlab.test>
            To: inbox@netlab.test
            Subject: tracked
            MIME-Version: 1.0
            Content-Type: multipart/related; boundary="rel"

            --rel
            Content-Type: text/html; charset=utf-8

            <html><body><p>Hello</p><img src="http://127.0.0.1:9/x.png"><img src="cid:logo@netlab"><a href="https://example.com/">a link</a></body></html>
            --rel
            Content-Type: image/png
            Content-ID: <logo@netlab>
            Content-Transfer-Encoding: base64

            {string.Join("\n", image.Chunk(76).Select(c => new string(c)))}
            --rel--
            """);
        var clean = await MessageFileAsync("""
            Subject: clean
            Content-Type: text/html; charset=utf-8

            <p style="color: red">nothing from elsewhere; <a href="http://example.com/">links</a> load only when clicked</p>
            """);
        try
        {
            Assert.StartsWith("250 ", Assert.Single(await SmtplibSender.SendAsync(port, 1, file: tracked)));
            Assert.StartsWith("250 ", Assert.Single(await SmtplibSender.SendAsync(port, 1, file: clean)));
        }
        finally
        {
            File.Delete(tracked);
            File.Delete(clean);
        }
        var list = (await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/mailbox"))!;
        var trackedId = (string)list.Single(m => (string?)m!["subject"] == "tracked")!["id"]!;
        var cleanId = (string)list.Single(m => (string?)m!["subject"] == "clean")!["id"]!;

        Assert.True((bool)(await Client.GetJsonAsync($"/api/servers/{id}/mailbox/{trackedId}"))["remoteContent"]!);
        Assert.False((bool)(await Client.GetJsonAsync($"/api/servers/{id}/mailbox/{cleanId}"))["remoteContent"]!);

        var html = await Client.GetAsync($"/api/servers/{id}/mailbox/{trackedId}/html");
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        var policy = html.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("sandbox; default-src 'none'; img-src data:;", policy); // nothing from any host, no scripts
        var document = await html.Content.ReadAsStringAsync();
        Assert.Contains($"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:;", document);
        Assert.Contains($"src=\"data:image/png;base64,{image[..100]}", document); // the message's own image, inlined
        Assert.DoesNotContain("cid:", document);

        var noHtml = await SmtplibSender.SendAsync(port, 1, "plain only");
        var plainId = SmtplibSender.QueuedId(noHtml[0]);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/servers/{id}/mailbox/{plainId}/html")).StatusCode);
    }

    [Fact]
    public async Task A_message_mimekit_cannot_read_is_still_listed_and_downloadable_raw()
    {
        var (id, port) = await StartSmtpAsync();
        var garbage = "not a header line\r\n\x01\x02 binary-ish junk \u00ff\r\n\r\nbody\r\n";
        var file = await MessageFileAsync(garbage);
        try
        {
            Assert.StartsWith("250 ", Assert.Single(await SmtplibSender.SendAsync(port, 1, file: file)));
        }
        finally
        {
            File.Delete(file);
        }
        var summary = Assert.Single((await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/mailbox"))!)!;
        Assert.Contains("headers", (string)summary["parseError"]!);
        Assert.Null((string?)summary["subject"]);
        var messageId = (string)summary["id"]!;
        var detail = await Client.GetJsonAsync($"/api/servers/{id}/mailbox/{messageId}");
        Assert.Empty(detail["parts"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/servers/{id}/mailbox/{messageId}/parts/0")).StatusCode);
        var raw = await Client.GetAsync($"/api/servers/{id}/mailbox/{messageId}/raw");
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(garbage.ReplaceLineEndings("\r\n")), await raw.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_full_mailbox_refuses_with_452_through_the_portal_too()
    {
        var (id, port) = await StartSmtpAsync(new { mailboxSize = 1 });
        var replies = await SmtplibSender.SendAsync(port, 2);
        Assert.StartsWith("250 ", replies[0]);
        Assert.StartsWith("452 4.3.1", replies[1]);
        Assert.Single((await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/mailbox"))!);
    }
}
