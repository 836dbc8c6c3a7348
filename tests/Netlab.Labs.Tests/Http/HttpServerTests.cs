using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Http;

namespace Netlab.Labs.Tests.Http;

/// <summary>The lab web server against real clients: HttpClient, raw sockets, curl.</summary>
public class HttpServerTests
{
    private static readonly string HelloWorld = Path.Combine(Repo.Content, "HelloWorld.html");

    [Fact]
    public async Task HttpClient_gets_HelloWorld_with_the_six_headers_and_the_exact_bytes()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await client.GetAsync("/HelloWorld.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(await File.ReadAllBytesAsync(HelloWorld), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(new FileInfo(HelloWorld).Length, response.Content.Headers.ContentLength);
        Assert.NotNull(response.Content.Headers.LastModified);
        Assert.InRange(response.Headers.Date!.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal("Netlab/1.0", response.Headers.Server.ToString());
        Assert.Contains("keep-alive", response.Headers.Connection);
    }

    [Fact]
    public async Task HEAD_has_the_headers_of_GET_and_no_body()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        var get = await RawHttp.ExchangeAsync(server.EndPoint, "GET /style.css HTTP/1.0\r\n\r\n");
        var head = await RawHttp.ExchangeAsync(server.EndPoint, "HEAD /style.css HTTP/1.0\r\n\r\n");

        string Headers(string r) => string.Join("\n", r[..r.IndexOf("\r\n\r\n")].Split("\r\n").Where(l => !l.StartsWith("Date:")));
        Assert.Equal(Headers(get), Headers(head));
        Assert.EndsWith("\r\n\r\n", head);
        Assert.Contains("Content-Type: text/css; charset=utf-8", head);
    }

    [Theory]
    [InlineData("/images/netlab.png", "image/png")]
    [InlineData("/files/numbers.txt", "text/plain; charset=utf-8")]
    [InlineData("/docs/", "text/html; charset=utf-8")]
    public async Task Serves_typed_files_and_folder_indexes(string path, string type)
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType!.ToString());
        var file = path.EndsWith('/') ? Path.Combine(Repo.Content, path.Trim('/'), "index.html") : Path.Combine(Repo.Content, path.TrimStart('/'));
        Assert.Equal(await File.ReadAllBytesAsync(file), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_folder_without_its_slash_is_redirected()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        var response = await RawHttp.ExchangeAsync(server.EndPoint, "GET /docs HTTP/1.0\r\n\r\n");
        Assert.Equal(301, RawHttp.Status(response));
        Assert.Contains("Location: /docs/\r\n", response);
    }

    [Fact]
    public async Task Missing_file_is_404_with_a_small_html_page()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await client.GetAsync("/nothing-here.html");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("<h1>404 Not Found</h1>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Other_methods_get_405_with_Allow()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await client.PostAsync("/HelloWorld.html", new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow);
    }

    [Fact]
    public async Task If_Modified_Since_gives_304_without_a_body()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var modified = (await client.GetAsync("/HelloWorld.html")).Content.Headers.LastModified!.Value;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/HelloWorld.html");
        request.Headers.IfModifiedSince = modified;
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());

        using var older = new HttpRequestMessage(HttpMethod.Get, "/HelloWorld.html");
        older.Headers.IfModifiedSince = modified.AddSeconds(-1);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(older)).StatusCode);
    }

    [Fact]
    public async Task Keeps_a_1_1_connection_alive_and_answers_pipelined_requests_in_order()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        const string get = "GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n";
        var response = await RawHttp.ExchangeAsync(server.EndPoint, get + get + "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var statuses = System.Text.RegularExpressions.Regex.Matches(response, @"HTTP/1\.1 (\d{3})").Select(m => m.Groups[1].Value);
        Assert.Equal(["200", "200", "404"], statuses);
        Assert.EndsWith("</html>\n", response); // and then it closed, as asked
    }

    [Fact]
    public async Task Closes_a_1_0_connection_after_the_response()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        var response = await RawHttp.ExchangeAsync(server.EndPoint, "GET /style.css HTTP/1.0\r\n\r\n"); // returns when the server closes
        Assert.Contains("Connection: close", response);
    }

    [Fact]
    public async Task A_request_fed_one_byte_at_a_time_is_served()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server.EndPoint);
        foreach (var b in "GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray())
        {
            await socket.SendAsync(new[] { b }, SocketFlags.None);
        }
        var response = await RawHttp.ReadToCloseAsync(socket);
        Assert.Equal(200, RawHttp.Status(response));
        Assert.EndsWith(await File.ReadAllTextAsync(Path.Combine(Repo.Content, "style.css")), response);
    }

    [Fact]
    public async Task Serves_fifty_clients_at_once()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        var expected = await File.ReadAllBytesAsync(HelloWorld);
        var bodies = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            return await client.GetByteArrayAsync("/HelloWorld.html");
        }));
        Assert.All(bodies, b => Assert.Equal(expected, b));
    }

    [Fact]
    public async Task Streams_a_large_file_byte_exact()
    {
        var root = Directory.CreateTempSubdirectory("netlab-big-").FullName;
        try
        {
            var data = new byte[12 * 1024 * 1024 + 7];
            new Random(3).NextBytes(data);
            await File.WriteAllBytesAsync(Path.Combine(root, "big.bin"), data);
            await using var server = await RunningHttpServer.StartAsync(root);
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            using var response = await client.GetAsync("/big.bin");
            Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.ToString());
            Assert.Equal(data, await response.Content.ReadAsByteArrayAsync());
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public async Task A_client_that_vanishes_mid_response_is_cleaned_up_and_others_are_served()
    {
        var root = Directory.CreateTempSubdirectory("netlab-big-").FullName;
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(root, "big.bin"), new byte[64 * 1024 * 1024]);
            File.Copy(HelloWorld, Path.Combine(root, "HelloWorld.html"));
            await using var server = await RunningHttpServer.StartAsync(root);
            for (var i = 0; i < 5; i++)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.ReceiveBufferSize = 4096;
                await socket.ConnectAsync(server.EndPoint);
                await socket.SendAsync("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), SocketFlags.None);
                await socket.ReceiveAsync(new byte[4096], SocketFlags.None);
                socket.LingerState = new LingerOption(true, 0); // reset, like a killed client
            }
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            Assert.Equal(await File.ReadAllBytesAsync(HelloWorld), await client.GetByteArrayAsync("/HelloWorld.html"));
            var events = await server.StopAsync();
            Assert.Equal(ServerState.Stopped, server.Server.State);
            Assert.Empty(events.OfType<LogLine>().Where(l => l.Severity == LogSeverity.Error).Select(l => l.Text));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public async Task A_slow_client_gets_408_and_is_closed_while_others_are_served()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content, new HttpServerOptions { RequestTimeoutMs = 300 });
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await slow.ConnectAsync(server.EndPoint);
        await slow.SendAsync("GET /HelloWorld.html HTTP/1.1\r\nHo"u8.ToArray(), SocketFlags.None);

        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/style.css")).StatusCode);

        var response = await RawHttp.ReadToCloseAsync(slow);
        Assert.Equal(408, RawHttp.Status(response));
        Assert.Contains("Connection: close", response);
    }

    [Fact]
    public async Task An_idle_keep_alive_connection_is_closed_when_the_clock_passes_its_timeout()
    {
        var clock = new TestClock();
        var keepAlive = TimeSpan.FromSeconds(15);
        await using var server = await RunningHttpServer.StartAsync(Repo.Content, new HttpServerOptions { KeepAliveTimeoutMs = 15_000 }, clock);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint);
        const string head = "HEAD /style.css HTTP/1.1\r\nHost: x\r\n\r\n";

        await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None);
        Assert.Equal(200, RawHttp.Status(await RawHttp.ReadHeadAsync(socket)));
        await clock.SetAsync(keepAlive, count: 2); // idle again: waiting for the second request
        clock.Advance(keepAlive - TimeSpan.FromMilliseconds(1));
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None); // still open a millisecond before
        Assert.Equal(200, RawHttp.Status(await RawHttp.ReadHeadAsync(socket)));

        await clock.SetAsync(keepAlive, count: 3);
        clock.Advance(keepAlive);
        Assert.Equal("", await RawHttp.ReadToCloseAsync(socket)); // closed without a word (no 408 for an idle connection)
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stalled_request_gets_408_once_the_clock_passes_the_request_timeout_and_not_before(bool finishesInTime)
    {
        var clock = new TestClock();
        var limit = TimeSpan.FromSeconds(10);
        await using var server = await RunningHttpServer.StartAsync(Repo.Content, new HttpServerOptions { RequestTimeoutMs = 10_000 }, clock);
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await slow.ConnectAsync(server.EndPoint);
        await slow.SendAsync("HEAD /style.css HTTP/1.1\r\nHo"u8.ToArray(), SocketFlags.None);
        await clock.SetAsync(limit); // the first bytes started the request's clock
        clock.Advance(limit - TimeSpan.FromMilliseconds(1));
        if (finishesInTime)
        {
            await slow.SendAsync("st: x\r\n\r\n"u8.ToArray(), SocketFlags.None);
            Assert.Equal(200, RawHttp.Status(await RawHttp.ReadHeadAsync(slow)));
            return;
        }
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var response = await RawHttp.ReadToCloseAsync(slow);
        Assert.Equal(408, RawHttp.Status(response));
        Assert.Contains("Connection: close", response);
    }

    [Fact]
    public async Task Each_request_is_an_access_log_entry_and_heads_a_transcript_when_asked()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content, new HttpServerOptions { Transcript = true });
        await RawHttp.ExchangeAsync(server.EndPoint, "GET /HelloWorld.html HTTP/1.0\r\nUser-Agent: t\r\n\r\n");
        await RawHttp.ExchangeAsync(server.EndPoint, "GET /missing HTTP/1.0\r\n\r\n");
        var events = await server.StopAsync();

        var log = events.OfType<AccessLogEntry>().ToList();
        Assert.Equal([("GET", "/HelloWorld.html", 200, new FileInfo(HelloWorld).Length), ("GET", "/missing", 404, log[1].Bytes)],
            log.Select(l => (l.Method, l.Target, l.Status, l.Bytes)));
        Assert.StartsWith("127.0.0.1:", log[0].Client);
        var transcript = events.OfType<TranscriptLine>().Select(t => (t.Direction, t.Text)).ToList();
        Assert.Contains((TranscriptDirection.ClientToServer, "GET /HelloWorld.html HTTP/1.0"), transcript);
        Assert.Contains((TranscriptDirection.ClientToServer, "User-Agent: t"), transcript);
        Assert.Contains((TranscriptDirection.ServerToClient, "HTTP/1.0 200 OK"), transcript);
    }

    [Fact]
    public async Task More_connections_than_allowed_get_503()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content, new HttpServerOptions { MaxConnections = 1 });
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(server.EndPoint);
        await Eventually.UntilAsync(() => server.Server.SessionCount == 1, "the first connection's session");
        var second = await RawHttp.ExchangeAsync(server.EndPoint, "GET / HTTP/1.0\r\n\r\n");
        Assert.Equal(503, RawHttp.Status(second));
    }

    [Fact]
    public async Task Curl_fetches_a_page_and_sees_a_404()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        var (exit, output) = await RunAsync("curl", "-s", "-i", $"{server.BaseAddress}HelloWorld.html");
        Assert.Equal(0, exit);
        Assert.StartsWith("HTTP/1.1 200 OK", output);
        Assert.Contains("<h1>Hello World</h1>", output);
        (exit, output) = await RunAsync("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", $"{server.BaseAddress}missing.html");
        Assert.Equal("404", output);
        (exit, output) = await RunAsync("curl", "-s", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", $"{server.BaseAddress}../../../../etc/passwd");
        Assert.Equal("403", output);
    }

    public static async Task<(int Exit, string Output)> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
