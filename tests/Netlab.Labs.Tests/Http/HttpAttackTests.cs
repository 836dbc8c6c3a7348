using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Http;
using Netlab.Tests;

namespace Netlab.Labs.Tests.Http;

/// <summary>
/// Issue 16 item 13, each attack as it was made: a slowloris from one address, headers sent a
/// byte at a time, and a FIFO in the content root.
/// </summary>
public sealed class HttpAttackTests
{
    [Fact]
    public async Task A_slowloris_from_one_address_gets_503_past_its_share_while_another_address_is_served()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content, new HttpServerOptions { MaxConnectionsPerAddress = 3 });
        var slow = new List<Socket>();
        try
        {
            // Three connections from 127.0.0.1 that send one byte of a request and then nothing.
            for (var i = 0; i < 3; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                slow.Add(socket);
                await socket.ConnectAsync(server.EndPoint);
                await socket.SendAsync("G"u8.ToArray(), SocketFlags.None);
            }
            await Eventually.UntilAsync(() => server.Server.SessionCount == 3, "the slow connections' sessions");

            var refused = await RawHttp.ExchangeAsync(server.EndPoint, "GET /HelloWorld.html HTTP/1.0\r\n\r\n");
            Assert.Equal(503, RawHttp.Status(refused));
            Assert.Contains("Retry-After: 1", refused);

            // Another client (127.0.0.2, on the same loopback interface) is served as usual.
            var (exit, code, _) = await Tool.RunAsync("curl", ["-s", "--interface", "127.0.0.2", "-o", "/dev/null", "-w", "%{http_code}", $"{server.BaseAddress}HelloWorld.html"]);
            Assert.Equal(0, exit);
            Assert.Equal("200", code);

            // When one slow connection goes, its address has room again.
            slow[0].Dispose();
            await Eventually.UntilAsync(() => server.Server.SessionCount == 2, "the closed connection's session to end");
            Assert.Equal(200, RawHttp.Status(await RawHttp.ExchangeAsync(server.EndPoint, "GET /HelloWorld.html HTTP/1.0\r\n\r\n")));
        }
        finally
        {
            foreach (var socket in slow)
                socket.Dispose();
        }
    }

    [Fact]
    public async Task A_head_sent_a_byte_at_a_time_gets_408_when_the_whole_head_is_late_though_each_byte_came_in_time()
    {
        var clock = new TestClock();
        var limit = TimeSpan.FromSeconds(10);
        await using var server = await RunningHttpServer.StartAsync(Repo.Content, new HttpServerOptions { RequestTimeoutMs = 10_000 }, clock);
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await slow.ConnectAsync(server.EndPoint);
        var head = Encoding.ASCII.GetBytes("HEAD /style.css HTTP/1.1\r\nHost: x\r\n");
        await slow.SendAsync(head.AsMemory(0, 1), SocketFlags.None);
        await clock.SetAsync(limit); // the first byte started the head's deadline
        // A byte every second: each one well within any per-read timeout, the head as a whole too slow.
        for (var i = 1; i < 10; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await slow.SendAsync(head.AsMemory(i, 1), SocketFlags.None);
        }
        clock.Advance(TimeSpan.FromSeconds(1));

        var response = await RawHttp.ReadToCloseAsync(slow);
        Assert.Equal(408, RawHttp.Status(response));
        Assert.Equal(1, clock.TimesSet(limit)); // never restarted by a byte that came in
    }

    [Fact]
    public async Task A_FIFO_in_the_content_root_gets_403_and_is_never_opened()
    {
        var root = Directory.CreateTempSubdirectory("netlab-fifo-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "index.html"), "<p>home</p>");
            Directory.CreateDirectory(Path.Combine(root, "folder"));
            Assert.Equal(0, (await Tool.RunAsync("mkfifo", [Path.Combine(root, "pipe.html"), Path.Combine(root, "folder", "index.html")])).ExitCode);
            await using var server = await RunningHttpServer.StartAsync(root);

            foreach (var path in new[] { "pipe.html", "folder/" })
            {
                var (exit, code, _) = await Tool.RunAsync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", $"{server.BaseAddress}{path}"]);
                Assert.Equal(0, exit);
                Assert.Equal("403", code);
            }
            var head = await RawHttp.ExchangeAsync(server.EndPoint, "HEAD /pipe.html HTTP/1.0\r\n\r\n");
            Assert.Equal(403, RawHttp.Status(head));
            Assert.Equal(200, RawHttp.Status(await RawHttp.ExchangeAsync(server.EndPoint, "GET /index.html HTTP/1.0\r\n\r\n")));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
