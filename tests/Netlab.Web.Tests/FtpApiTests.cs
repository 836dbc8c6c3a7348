using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Netlab.Web.Tests;

/// <summary>The FTP lab through the REST API: a server, a scripted console, its scratch folder, a probe run.</summary>
public class FtpApiTests(SharedPortal portal) : PortalTest(portal)
{
    private string ContentRoot => Factory.Services.GetRequiredService<Netlab.Labs.Core.LabEnvironment>().ContentRoot;

    private async Task<JsonObject> CommandAsync(string console, string line)
    {
        var response = await Client.PostAsJsonAsync($"/api/ftp/consoles/{console}/commands", new { line });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private readonly List<string> consoles = [];

    private async Task<string> OpenConsoleAsync()
    {
        var created = await Client.PostAsync("/api/ftp/consoles", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        consoles.Add(id);
        return id;
    }

    /// <summary>The portal is shared: close the consoles (and their scratch folders) this test opened.</summary>
    public override async Task DisposeAsync()
    {
        foreach (var id in consoles)
            await Client.DeleteAsync($"/api/ftp/consoles/{id}"); // 404 if the test closed it
        await base.DisposeAsync();
    }

    private static string Text(JsonObject result) => string.Join("\n", result["lines"]!.AsArray().Select(l => (string)l!));

    [Fact]
    public async Task A_console_connects_in_active_mode_lists_gets_and_puts_through_the_api()
    {
        var started = await Client.PostAsJsonAsync("/api/servers", new { lab = "ftp", port = 0 });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var server = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
        var port = (int)server["port"]!;

        var console = await OpenConsoleAsync();

        Assert.StartsWith("OK Connection established", Text(await CommandAsync(console, $"connect 127.0.0.1 {port}")));
        Assert.StartsWith("OK System type", Text(await CommandAsync(console, "system")));
        var ls = await CommandAsync(console, "ls");
        Assert.True((bool)ls["ok"]!);
        Assert.Contains("readme.txt", Text(ls));
        Assert.StartsWith("OK GET: 'readme.txt'", Text(await CommandAsync(console, "get readme.txt")));
        var cd = Text(await CommandAsync(console, "cd nowhere"));
        Assert.StartsWith("550", cd);

        // The file arrived in the scratch folder and downloads byte for byte.
        var files = (await Client.GetFromJsonAsync<JsonArray>($"/api/ftp/consoles/{console}/files"))!;
        Assert.Contains(files, f => (string)f!["name"]! == "readme.txt");
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(ContentRoot, "ftp", "readme.txt")), await Client.GetByteArrayAsync($"/api/ftp/consoles/{console}/files/readme.txt"));

        // Upload a file into the scratch folder, put it into the server's upload folder.
        var name = $"api-{Guid.NewGuid():N}.txt";
        Assert.Equal(HttpStatusCode.NoContent, (await Client.PutAsync($"/api/ftp/consoles/{console}/files/{name}", new StringContent("uploaded by a script\n"))).StatusCode);
        Assert.StartsWith("OK Changed to", Text(await CommandAsync(console, "cd upload")));
        Assert.StartsWith($"OK PUT: '{name}'", Text(await CommandAsync(console, $"put {name}")));
        // The upload is in the server's own copy under the data folder, never in the shared content (the source tree).
        Assert.Equal("uploaded by a script\n", await File.ReadAllTextAsync(Path.Combine(Factory.DataDirectory, "servers", (string)server["id"]!, "files", "upload", name)));
        Assert.False(File.Exists(Path.Combine(ContentRoot, "ftp", "upload", name)));

        // Both channels are in the transcript: PORT on control, the listing on data.
        var events = (await Client.GetFromJsonAsync<JsonArray>($"/api/ftp/consoles/{console}/events"))!;
        Assert.Contains(events, e => (string)e!["kind"]! == "transcriptLine" && (string)e["channel"]! == "Control" && ((string)e["text"]!).StartsWith("PORT "));
        Assert.Contains(events, e => (string)e!["kind"]! == "transcriptLine" && (string)e["channel"]! == "Data" && ((string)e["text"]!).Contains("readme.txt"));
        Assert.Contains(events, e => (string)e!["kind"]! == "ftpTransfer" && (string)e["mode"]! == "active" && (bool)e["completed"]!);

        Assert.StartsWith("OK Connection closed", Text(await CommandAsync(console, "bye")));
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/ftp/consoles/{console}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/ftp/consoles/{console}")).StatusCode);
    }

    [Fact]
    public async Task The_scratch_folder_cannot_be_escaped_and_targets_must_be_allowed()
    {
        var console = await OpenConsoleAsync();
        // An encoded slash is not a folder separator in a route value: the odd name stays inside the folder.
        Assert.Equal(HttpStatusCode.NoContent, (await Client.PutAsync($"/api/ftp/consoles/{console}/files/..%2Fescaped.txt", new StringContent("x"))).StatusCode);
        Assert.Equal(["..%2Fescaped.txt"], (await Client.GetFromJsonAsync<JsonArray>($"/api/ftp/consoles/{console}/files"))!
            .Select(f => (string)f!["name"]!).Where(n => n.Contains("escaped")));
        Assert.False(File.Exists(Path.Combine(Factory.Services.GetRequiredService<Netlab.Labs.Core.LabEnvironment>().DataDirectory!, "ftp-scratch", "escaped.txt")));
        var escape = await Client.GetAsync($"/api/ftp/consoles/{console}/files/..%2F..%2Fnetlab.db");
        Assert.True(escape.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, escape.StatusCode.ToString());
        var bad = await Client.PostAsJsonAsync($"/api/ftp/consoles/{console}/commands", new { line = "" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        // Only allowed hosts (loopback by default) can be reached from the portal.
        var outside = Text(await CommandAsync(console, "connect 192.0.2.1 21"));
        Assert.Contains("not allowed", outside);
    }

    [Fact]
    public async Task The_ftp_client_probe_runs_a_script_as_a_stored_run()
    {
        var started = await Client.PostAsJsonAsync("/api/servers", new { lab = "ftp", port = 0 });
        var port = (int)(await started.Content.ReadFromJsonAsync<JsonObject>())!["port"]!;
        var response = await Client.PostAsJsonAsync("/api/runs", new { probe = "ftp-client", target = new { host = "127.0.0.1", port }, options = new { commands = "pwd\nls\nget readme.txt", passive = true } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var run = await Client.WaitForRunAsync((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        Assert.Equal("Succeeded", (string)run["status"]!);
        Assert.Equal(0, (double)run["summary"]!["failed"]!);
        Assert.True((double)run["summary"]!["bytesDown"]! > 0);
    }

    [Fact]
    public async Task Uploads_past_the_servers_quota_are_answered_552_and_leave_nothing_behind()
    {
        var started = await Client.PostAsJsonAsync("/api/servers", new { lab = "ftp", port = 0, options = new { quotaMegabytes = 1 } });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var server = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
        var upload = Path.Combine(Factory.DataDirectory, "servers", (string)server["id"]!, "files", "upload");
        var console = await OpenConsoleAsync();
        Assert.StartsWith("OK Connection established", Text(await CommandAsync(console, $"connect 127.0.0.1 {(int)server["port"]!}")));
        Assert.StartsWith("OK Changed to", Text(await CommandAsync(console, "cd upload")));

        var big = new byte[700_000];
        Assert.Equal(HttpStatusCode.NoContent, (await Client.PutAsync($"/api/ftp/consoles/{console}/files/a.bin", new ByteArrayContent(big))).StatusCode);
        Assert.StartsWith("OK PUT: 'a.bin'", Text(await CommandAsync(console, "put a.bin")));
        // A second one does not fit in the 1 MB left: 552, and no partial file stays.
        Assert.StartsWith("552 ", Text(await CommandAsync(console, "put a.bin b.bin")));
        Assert.Equal(["a.bin", "README"], Directory.GetFiles(upload).Select(Path.GetFileName).Order());
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/ftp/consoles/{console}")).StatusCode);
    }

    [Fact]
    public async Task PORT_to_the_portals_own_HTTP_port_or_another_lab_server_gets_500()
    {
        var ftp = (await (await Client.PostAsJsonAsync("/api/servers", new { lab = "ftp", port = 0 })).Content.ReadFromJsonAsync<JsonObject>())!;
        var http = (await (await Client.PostAsJsonAsync("/api/servers", new { lab = "http", port = 0 })).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(Client.BaseAddress!.Port >= 1024, $"the portal listens on {Client.BaseAddress}, an unprivileged port"); // else the 500 would prove nothing
        int freePort;
        using (var free = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            free.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            freePort = ((IPEndPoint)free.LocalEndPoint!).Port;
        }
        const string Script = """
            import ftplib, sys
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", int(sys.argv[1]))
            ftp.login()
            for port in sys.argv[2:]:
                try:
                    print(ftp.sendport("127.0.0.1", int(port)))
                except ftplib.error_perm as e:
                    print(e)
            """;
        var info = new System.Diagnostics.ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", Script, $"{ftp["port"]}", $"{Client.BaseAddress!.Port}", $"{http["port"]}", $"{freePort}" })
            info.ArgumentList.Add(arg);
        using var python = System.Diagnostics.Process.Start(info)!;
        var output = python.StandardOutput.ReadToEndAsync();
        var error = await python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();
        Assert.True(python.ExitCode == 0, error);
        Assert.Equal(["500 Illegal PORT command.", "500 Illegal PORT command.", "200 PORT command successful. Consider using PASV."],
            (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_scratch_upload_past_its_limit_is_413_even_without_a_length_and_leaves_nothing_behind()
    {
        var console = await OpenConsoleAsync();
        var before = (await Client.GetFromJsonAsync<JsonArray>($"/api/ftp/consoles/{console}/files"))!.Select(f => (string)f!["name"]!).Order().ToList();
        // No Content-Length (chunked): the limit is enforced while the body is read, not only by the header.
        // The portal answers 413 as soon as the limit is passed and stops reading: the client may see the
        // answer, or only the connection it was still writing to closing.
        try
        {
            var refused = await Client.PutAsync($"/api/ftp/consoles/{console}/files/huge.bin", new StreamContent(new ZeroStream(65L * 1024 * 1024)));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.Contains("64 MB each", await refused.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException e) when (e.InnerException is IOException)
        {
        }
        var after = (await Client.GetFromJsonAsync<JsonArray>($"/api/ftp/consoles/{console}/files"))!.Select(f => (string)f!["name"]!).Order().ToList();
        Assert.Equal(before, after);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/ftp/consoles/{console}")).StatusCode);
    }

    /// <summary>A body of zeros of a given length, produced as it is read (no length announced).</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long left = length;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, left);
            Array.Clear(buffer, offset, n);
            left -= n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
