using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.Echo;
using Netlab.Labs.Smtp;
using Netlab.Labs.TcpConsole;
using Netlab.Labs.Tests.Http;
using Netlab.Labs.Tests.Smtp;

namespace Netlab.Labs.Tests.TcpConsole;

/// <summary>The TCP console against the echo server, the portal's SMTP server and raw sockets.</summary>
public class TcpConsoleTests
{
    private static async Task<ILabServer> EchoAsync(EchoServerOptions options)
    {
        var server = EchoLab.Definition.Server!.Create(options, new ServerContext(Loopback.AnyPort, new EventStream("echo", 100_000), new LabEnvironment(Repo.Content)));
        await server.StartAsync();
        _ = Loopback.DrainAsync(server.Events);
        return server;
    }

    [Fact]
    public async Task A_script_against_the_echo_server_records_the_greeting_each_line_and_its_echo()
    {
        var server = await EchoAsync(new EchoServerOptions { Greeting = "You are connected", Uppercase = true });
        var sink = new ListSink();
        await new TcpConsoleProbe(new TcpConsoleProbeOptions { Lines = "hello\nsecond line\n", LineEnding = LineEnding.Lf, QuietMs = 200 })
            .RunAsync(Loopback.Target(server.LocalEndPoint!), sink, CancellationToken.None);
        await server.StopAsync();

        var transcript = sink.Of<TranscriptLine>().Where(t => t.Direction != TranscriptDirection.Info).Select(t => $"{(t.Direction == TranscriptDirection.ClientToServer ? ">" : "<")} {t.Text}").ToList();
        Assert.Equal(["< You are connected", "> hello", "< HELLO", "> second line", "< SECOND LINE"], transcript);
        var summary = sink.Of<Summary>().Single();
        Assert.Equal(2, summary.Values["lines"]);
        Assert.Equal("hello\n".Length + "second line\n".Length, summary.Values["bytesSent"]);
        Assert.Equal("client", sink.Of<ConsoleClosed>().Single().By);
    }

    [Fact]
    public async Task A_script_talks_SMTP_by_hand_with_CRLF_and_sees_the_server_close_after_QUIT()
    {
        await using var smtp = await RunningSmtpServer.StartAsync();
        var sink = new ListSink();
        await new TcpConsoleProbe(new TcpConsoleProbeOptions { Lines = "HELO console.test\nMAIL FROM:<a@b.test>\nQUIT\nNOOP", QuietMs = 200 })
            .RunAsync(Loopback.Target(smtp.Server.LocalEndPoint!), sink, CancellationToken.None);

        var received = sink.Of<TranscriptLine>().Where(t => t.Direction == TranscriptDirection.ServerToClient).Select(t => t.Text).ToList();
        Assert.StartsWith("220 ", received[0]);
        Assert.Contains(received, l => l.StartsWith("250 ", StringComparison.Ordinal));
        Assert.StartsWith("221", received[^1]);
        Assert.Equal("server", sink.Of<ConsoleClosed>().Single().By);
        // The server hung up after QUIT: NOOP was never sent, and the run says so.
        Assert.Contains(sink.Of<LogLine>(), l => l.Text.Contains("closed after 3 of 4 lines", StringComparison.Ordinal));
        Assert.Equal(1, sink.Of<Summary>().Single().Values["closedByServer"]);
    }

    [Fact]
    public async Task Binary_replies_are_shown_in_hex_and_text_as_lines()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(Loopback.AnyPort);
        listener.Listen();
        var serve = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            await peer.SendAsync(new byte[] { 0x00, 0x01, 0xff, 0x7f, (byte)'A' }, SocketFlags.None);
            var buffer = new byte[100];
            await peer.ReceiveAsync(buffer, SocketFlags.None);
            await peer.SendAsync("text reply\r\n"u8.ToArray(), SocketFlags.None);
            await peer.ReceiveAsync(buffer, SocketFlags.None); // until the console hangs up
        });
        var sink = new ListSink();
        await new TcpConsoleProbe(new TcpConsoleProbeOptions { Lines = "x", QuietMs = 200 })
            .RunAsync(Loopback.Target((IPEndPoint)listener.LocalEndPoint!), sink, CancellationToken.None);
        await serve;

        var hex = sink.Of<HexMessage>().Single();
        Assert.Equal(new byte[] { 0x00, 0x01, 0xff, 0x7f, (byte)'A' }, hex.Bytes);
        Assert.Contains(sink.Of<TranscriptLine>(), t => t.Text == "text reply" && t.Direction == TranscriptDirection.ServerToClient);
    }

    [Fact]
    public async Task A_line_over_the_limit_is_refused_and_nothing_is_sent()
    {
        var server = await EchoAsync(new EchoServerOptions());
        var sink = new ListSink();
        await using var session = await TcpConsoleSession.ConnectAsync(Loopback.Target(server.LocalEndPoint!), new TcpConsoleSettings { MaxLineBytes = 10 }, sink, null, CancellationToken.None);
        var e = await Assert.ThrowsAsync<LabException>(() => session.SendLineAsync(new string('x', 11), CancellationToken.None));
        Assert.Contains("at most 10 may be sent", e.Message);
        await Assert.ThrowsAsync<LabException>(() => session.SendLineAsync("a\r\nRCPT TO:<x>", CancellationToken.None));
        Assert.Equal(0, session.BytesSent);
        await session.SendLineAsync("0123456789", CancellationToken.None);
        Assert.Equal(12, session.BytesSent);
        await server.StopAsync();
    }

    [Fact]
    public async Task The_connection_closes_after_the_idle_timeout_on_a_fake_clock()
    {
        var server = await EchoAsync(new EchoServerOptions());
        var clock = new TestClock();
        var sink = new ListSink();
        await using var session = await TcpConsoleSession.ConnectAsync(Loopback.Target(server.LocalEndPoint!), new TcpConsoleSettings { IdleTimeoutMs = 60_000 }, sink, clock, CancellationToken.None);
        await clock.SetAsync(TimeSpan.FromMinutes(1));
        clock.Advance(TimeSpan.FromMinutes(1));
        await session.Completion;
        Assert.False(session.Connected);
        Assert.Equal("idle", sink.Of<ConsoleClosed>().Single().By);
        await server.StopAsync();
    }

    [Theory]
    [InlineData(new byte[] { (byte)'a', (byte)'\r', (byte)'\n', (byte)'\t' }, false)]
    [InlineData(new byte[] { 0xc3, 0xa9 }, false)] // UTF-8 é is text
    [InlineData(new byte[] { (byte)'a', 0x00 }, true)]
    [InlineData(new byte[] { 0x1b, (byte)'[' }, true)]
    public void Control_bytes_make_a_chunk_binary(byte[] bytes, bool binary) => Assert.Equal(binary, TcpConsoleSession.IsBinary(bytes));
}
