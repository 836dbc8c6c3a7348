using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Echo;

/// <summary>
/// The TCP echo and upper-case server (handout 001's echo server, handout 003's TCPServer.py):
/// every recv() is sent back, upper-cased if asked, after an optional greeting line; with chunk
/// bytes set, in several small writes with a pause between them.
/// </summary>
public sealed class EchoTcpServer : TcpLabServer
{
    private const int ReceiveBytes = 64 * 1024;
    private readonly TimeProvider time;

    public EchoTcpServer(EchoServerOptions options, ServerContext context) : base("echo", context.EndPoint, context.Events, 512, context.Time)
    {
        Options = options;
        time = context.Time;
    }

    public EchoServerOptions Options { get; }

    protected override int MaxSessions => Options.MaxConnections;

    protected override string Listening(EndPoint local) => $"TCP {(Options.Uppercase ? "upper-case" : "echo")} server on {local}"
        + (Options.Greeting.Length > 0 ? $", greeting \"{Options.Greeting}\"" : "")
        + (Options.ChunkBytes > 0 ? $", answering in writes of {Options.ChunkBytes} bytes" : "");

    // Nothing to say to a client over the limit: the host closes it.
    protected override Task RefuseAsync(Socket client, string name, CancellationToken cancellationToken) => Task.CompletedTask;

    protected override async Task ServeSessionAsync(Socket client, string name, CancellationToken stopping)
    {
        using var _ = client;
        Events.Emit(new LogLine(LogSeverity.Info, $"{name} connected"));
        var buffer = new byte[ReceiveBytes];
        using var idle = Deadline.After(Options.IdleTimeoutMs, stopping, time);
        try
        {
            if (Options.Greeting.Length > 0)
                await client.SendAsync(Encoding.UTF8.GetBytes(Options.Greeting + "\r\n"), SocketFlags.None, idle.Token);
            while (true)
            {
                var n = await client.ReceiveAsync(buffer, SocketFlags.None, idle.Token);
                if (n == 0)
                {
                    Events.Emit(new LogLine(LogSeverity.Info, $"{name} closed the connection"));
                    break;
                }
                idle.Restart(Options.IdleTimeoutMs);
                var text = Printable.Ascii(buffer.AsSpan(0, n), 200);
                if (Options.Uppercase)
                    EchoText.ToUpperAscii(buffer.AsSpan(0, n));
                var reply = Printable.Ascii(buffer.AsSpan(0, n), 200);
                var writes = await SendAsync(client, buffer.AsMemory(0, n), idle.Token);
                Events.Emit(new EchoSeen(name, "tcp", n, text, reply, writes));
            }
        }
        catch (OperationCanceledException) when (idle.Expired)
        {
            Events.Emit(new LogLine(LogSeverity.Info, $"{name} idle for {Options.IdleTimeoutMs} ms: closed"));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException || (e is OperationCanceledException && stopping.IsCancellationRequested))
        {
            // Reset by the client, or the server is stopping.
        }
        client.CloseQuietly();
    }

    /// <summary>Sends the reply whole or in chunks; returns the number of writes.</summary>
    private async Task<int> SendAsync(Socket client, ReadOnlyMemory<byte> reply, CancellationToken cancellationToken)
    {
        if (Options.ChunkBytes <= 0 || reply.Length <= Options.ChunkBytes)
        {
            await client.SendAsync(reply, SocketFlags.None, cancellationToken);
            return 1;
        }
        var writes = 0;
        for (var offset = 0; offset < reply.Length; offset += Options.ChunkBytes)
        {
            if (writes > 0 && Options.ChunkDelayMs > 0)
                await Task.Delay(TimeSpan.FromMilliseconds(Options.ChunkDelayMs), time, cancellationToken);
            await client.SendAsync(reply.Slice(offset, Math.Min(Options.ChunkBytes, reply.Length - offset)), SocketFlags.None, cancellationToken);
            writes++;
        }
        return writes;
    }
}

/// <summary>The UDP echo and upper-case server (handout 001's UDP echo, handout 003's UDPServer.py): each datagram back to its sender.</summary>
public sealed class EchoUdpServer(EchoServerOptions options, ServerContext context) : UdpLabServer("echo", context.EndPoint, context.Events)
{
    public EchoServerOptions Options { get; } = options;

    protected override string Listening(EndPoint local) => $"UDP {(Options.Uppercase ? "upper-case" : "echo")} server on {local}";

    protected override void OnDatagram(Span<byte> datagram, SocketAddress from, string remote, CancellationToken stopping)
    {
        var text = Printable.Ascii(datagram, 200);
        if (Options.Uppercase)
            EchoText.ToUpperAscii(datagram);
        if (Udp.TrySendTo(datagram, from, remote, stopping))
            Events.Emit(new EchoSeen(remote, "udp", datagram.Length, text, Printable.Ascii(datagram, 200), 1));
    }
}

public static class EchoText
{
    /// <summary>What Python's bytes.upper() does: ASCII letters only, everything else untouched.</summary>
    public static void ToUpperAscii(Span<byte> bytes)
    {
        foreach (ref var b in bytes)
            if (b is >= (byte)'a' and <= (byte)'z')
                b -= 0x20;
    }

    public static byte[] Ending(LineEnding ending) => ending switch
    {
        LineEnding.CrLf => "\r\n"u8.ToArray(),
        LineEnding.Lf => "\n"u8.ToArray(),
        _ => [],
    };
}

public static class EchoEscape
{
    /// <summary>Bytes as a C-like string: printable ASCII as is, \r \n \t, anything else \xNN; at most max bytes.</summary>
    public static string Of(ReadOnlySpan<byte> bytes, int max = 2_000)
    {
        var text = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, max)])
            text.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\t' => "\\t",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7f => ((char)b).ToString(),
                _ => $"\\x{b:x2}",
            });
        if (bytes.Length > max) text.Append('…');
        return text.ToString();
    }
}
