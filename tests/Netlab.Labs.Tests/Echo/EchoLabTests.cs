using System.Globalization;
using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.Echo;
using Netlab.Labs.Tests.Http;

namespace Netlab.Labs.Tests.Echo;

/// <summary>The echo lab (handouts 001, 003, 004): servers against nc and Python, the client against them and a Python peer.</summary>
public class EchoLabTests
{
    private static async Task<(ILabServer Server, Task<List<LabEvent>> Events)> StartAsync(EchoServerOptions options)
    {
        var context = new ServerContext(Loopback.AnyPort, new EventStream("echo", 100_000), new LabEnvironment(Repo.Content));
        var server = EchoLab.Definition.Server!.Create(options, context);
        await server.StartAsync();
        return (server, Loopback.DrainAsync(server.Events));
    }

    private static string Port(ILabServer server) => server.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Nc_gets_the_greeting_and_its_lines_back_upper_cased_and_the_server_shows_the_sender()
    {
        var (server, events) = await StartAsync(new EchoServerOptions { Uppercase = true, Greeting = "You are connected" });
        var (code, output, error) = await Tool.RunAsync("nc", ["-N", "127.0.0.1", Port(server)], "hello world\n");
        await server.StopAsync();
        Assert.True(code == 0, error);
        Assert.Equal("You are connected\r\nHELLO WORLD\n", output);
        var seen = (await events).OfType<EchoSeen>().Single();
        Assert.Equal("hello world.", seen.Text);
        Assert.Equal("HELLO WORLD.", seen.Reply);
        Assert.StartsWith("127.0.0.1:", seen.Client);
    }

    [Fact]
    public async Task Over_UDP_each_datagram_comes_back_to_its_sender_as_is()
    {
        var (server, events) = await StartAsync(new EchoServerOptions { Transport = EchoTransport.Udp });
        var (code, output, error) = await Tool.PythonAsync("""
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(10)
            for m in [b"one", b"two words", b"\x00\xff"]:
                s.sendto(m, ("127.0.0.1", int(sys.argv[1])))
                data, addr = s.recvfrom(2048)
                print(data == m)
            """, Port(server));
        await server.StopAsync();
        Assert.True(code == 0, error);
        Assert.Equal("True\nTrue\nTrue\n", output);
        Assert.Equal(3, (await events).OfType<EchoSeen>().Count(e => e.Transport == "udp"));
    }

    [Fact]
    public async Task With_chunk_bytes_a_python_client_needs_several_recvs_for_one_message()
    {
        var (server, events) = await StartAsync(new EchoServerOptions { ChunkBytes = 4, ChunkDelayMs = 20 });
        var (code, output, error) = await Tool.PythonAsync("""
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
            s.sendall(b"abcdefghijkl")
            got = b""; recvs = 0
            while len(got) < 12:
                got += s.recv(1024); recvs += 1
            print(got.decode(), recvs > 1)
            """, Port(server));
        await server.StopAsync();
        Assert.True(code == 0, error);
        Assert.Equal("abcdefghijkl True", output.Trim());
        Assert.Equal(3, (await events).OfType<EchoSeen>().Single().Writes);
    }

    [Fact]
    public async Task The_client_shows_each_recv_of_a_chunked_reply_under_its_line()
    {
        var (server, _) = await StartAsync(new EchoServerOptions { Greeting = "You are connected", ChunkBytes = 3, ChunkDelayMs = 30 });
        var sink = new ListSink();
        await new EchoClientProbe(new EchoClientOptions { Lines = "hello\nworld", QuietMs = 1_000 })
            .RunAsync(Loopback.Target(server.LocalEndPoint!), sink, CancellationToken.None);
        await server.StopAsync();

        var chunks = sink.Of<EchoChunk>();
        Assert.Equal("You are connected\\r\\n", string.Concat(chunks.Where(c => c.Line == 0).Select(c => c.Text)));
        // "hello\n" is 6 bytes in writes of 3: two recv()s, whatever the timing within them.
        Assert.Equal("hello\\n", string.Concat(chunks.Where(c => c.Line == 1).Select(c => c.Text)));
        Assert.True(chunks.Count(c => c.Line == 1) >= 2, string.Join(" | ", chunks.Select(c => $"{c.Line}:{c.Text}")));
        Assert.Equal("world\\n", string.Concat(chunks.Where(c => c.Line == 2).Select(c => c.Text)));
        var summary = sink.Of<Summary>().Single();
        Assert.Equal(2, summary.Values["answered"]);
        Assert.Equal(12, summary.Values["bytesSent"]);
    }

    [Fact]
    public async Task The_client_over_UDP_against_the_handouts_python_upper_case_server_with_CRLF()
    {
        await using var python = PythonPeer.Start("udp_pinger_server.py", "0", "--loss", "0");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1], CultureInfo.InvariantCulture);
        var sink = new ListSink();
        await new EchoClientProbe(new EchoClientOptions { Lines = "abc\nxyz", Transport = EchoTransport.Udp, LineEnding = LineEnding.CrLf })
            .RunAsync(Loopback.Target(new IPEndPoint(IPAddress.Loopback, port)), sink, CancellationToken.None);
        Assert.Equal(["ABC\\r\\n", "XYZ\\r\\n"], sink.Of<EchoChunk>().Select(c => c.Text));
    }

    [Fact]
    public async Task Against_a_silent_server_each_line_waits_only_the_timeout_on_a_fake_clock()
    {
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(Loopback.AnyPort);
        listener.Listen();
        var clock = new TestClock();
        var sink = new ListSink();
        var run = new EchoClientProbe(new EchoClientOptions { Lines = "a\nb", TimeoutMs = 1_000, QuietMs = 100 }, clock)
            .RunAsync(Loopback.Target((IPEndPoint)listener.LocalEndPoint!), sink, CancellationToken.None);
        await clock.AdvanceUntilAsync(() => run.IsCompleted, TimeSpan.FromMilliseconds(100), "the client to give up on both lines");
        await run;
        Assert.Equal(2, sink.Of<LogLine>().Count(l => l.Text.Contains("no reply within 1000 ms", StringComparison.Ordinal)));
        Assert.Equal(0, sink.Of<Summary>().Single().Values["answered"]);
    }

    [Fact]
    public void Escaping_shows_line_ends_and_binary()
    {
        Assert.Equal("a\\r\\n\\x00\\xff\\\\", EchoEscape.Of([(byte)'a', 13, 10, 0, 255, (byte)'\\']));
    }
}
