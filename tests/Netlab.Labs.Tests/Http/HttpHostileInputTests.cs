using System.Net.Sockets;
using System.Text;

namespace Netlab.Labs.Tests.Http;

/// <summary>
/// Hostile and malformed requests, each its own case, sent as raw bytes: each gets its proper
/// status, nothing outside the content root is ever served, and the server keeps serving.
/// </summary>
public sealed class HttpHostileInputTests : IAsyncLifetime
{
    private const string Secret = "NETLAB-SECRET-DO-NOT-SERVE";
    private readonly string top = Directory.CreateTempSubdirectory("netlab-hostile-").FullName;
    private RunningHttpServer server = default!;

    public async Task InitializeAsync()
    {
        var site = Directory.CreateDirectory(Path.Combine(top, "site")).FullName;
        File.WriteAllText(Path.Combine(top, "secret.txt"), Secret);
        File.WriteAllText(Path.Combine(site, "index.html"), "<p>home</p>");
        File.CreateSymbolicLink(Path.Combine(site, "escape.txt"), Path.Combine(top, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(site, "up"), top);
        server = await RunningHttpServer.StartAsync(site);
    }

    public async Task DisposeAsync()
    {
        // Whatever came before, the server still serves.
        var after = await RawHttp.ExchangeAsync(server.EndPoint, "GET /index.html HTTP/1.0\r\n\r\n");
        Assert.Equal(200, RawHttp.Status(after));
        await server.DisposeAsync();
        Directory.Delete(top, true);
    }

    [Theory]
    [InlineData("/../secret.txt")]
    [InlineData("/../../../../../../etc/passwd")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/%2e%2e%2fsecret.txt")]
    [InlineData("/..%5csecret.txt")]
    [InlineData("/..\\secret.txt")]
    [InlineData("/escape.txt")]
    [InlineData("/up/secret.txt")]
    [InlineData("http://x/../secret.txt")]
    [InlineData("/index.html%00")]
    public async Task Path_traversal_never_reaches_a_file_outside_the_root(string target)
    {
        var response = await RawHttp.ExchangeAsync(server.EndPoint, $"GET {target} HTTP/1.0\r\n\r\n");
        Assert.Contains(RawHttp.Status(response), new[] { 400, 403, 404 });
        Assert.DoesNotContain(Secret, response);
        Assert.DoesNotContain("root:", response);
    }

    [Theory]
    [InlineData("GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [InlineData("GARBAGE\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501)]
    [InlineData("DELETE /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405)]
    public async Task Malformed_requests_get_their_status(string request, int status)
    {
        var response = await RawHttp.ExchangeAsync(server.EndPoint, request);
        Assert.Equal(status, RawHttp.Status(response));
        Assert.Contains("Content-Type: text/html; charset=utf-8", response);
    }

    [Fact]
    public async Task A_uri_that_is_too_long_gets_414()
    {
        var response = await RawHttp.ExchangeAsync(server.EndPoint, $"GET /{new string('a', 9000)} HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(414, RawHttp.Status(response));
    }

    [Fact]
    public async Task Headers_that_are_too_large_get_431()
    {
        var response = await RawHttp.ExchangeAsync(server.EndPoint, $"GET / HTTP/1.1\r\nHost: x\r\nCookie: {new string('c', 20_000)}\r\n\r\n");
        Assert.Equal(431, RawHttp.Status(response));
    }

    [Fact]
    public async Task A_client_that_never_stops_sending_headers_is_cut_off()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint);
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n"u8.ToArray(), SocketFlags.None);
        var line = Encoding.ASCII.GetBytes("X-Filler: " + new string('f', 1000) + "\r\n");
        try
        {
            for (var i = 0; i < 100; i++)
                await socket.SendAsync(line, SocketFlags.None);
        }
        catch (SocketException)
        {
            // the server may close first
        }
        var response = await RawHttp.ReadToCloseAsync(socket);
        Assert.Equal(431, RawHttp.Status(response));
    }

    [Fact]
    public async Task Random_garbage_gets_400_or_a_close_never_a_crash()
    {
        var random = new Random(11);
        for (var i = 0; i < 30; i++)
        {
            var bytes = new byte[random.Next(1, 2000)];
            random.NextBytes(bytes);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server.EndPoint);
            await socket.SendAsync(bytes.Concat("\r\n\r\n"u8.ToArray()).ToArray(), SocketFlags.None);
            var response = await RawHttp.ReadToCloseAsync(socket);
            if (response.Length > 0)
                Assert.Contains(RawHttp.Status(response), new[] { 400, 414, 431, 501, 505 });
        }
    }
}
