using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.Time;

/// <summary>
/// The handout 001 Exercise 9-1 time server over TCP: each <c>reqtime</c> is answered with the
/// server's clock (<see cref="TimeServerClock"/>), anything else with an ERR line; many clients at
/// once, each connection until the client closes or stays idle past the timeout.
/// </summary>
public sealed class TimeServer : TcpLabServer
{
    private readonly TimeProvider time;

    public TimeServer(TimeServerOptions options, ServerContext context)
        : base("time", context.EndPoint, context.Events, 512, context.Time)
    {
        Options = options;
        time = context.Time;
        Clock = new TimeServerClock(context.Time, options.OffsetMs, options.DriftPpm);
    }

    public TimeServerOptions Options { get; }

    public TimeServerClock Clock { get; }

    protected override int MaxSessions => Options.MaxConnections;

    protected override string Listening(EndPoint local) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Time server on {local}: send \"reqtime\"; clock offset {Options.OffsetMs} ms, drift {Options.DriftPpm} ppm");

    protected override async Task RefuseAsync(Socket client, string name, CancellationToken cancellationToken) =>
        await client.SendAsync(TimeMessage.Error("busy, try again later"), SocketFlags.None, cancellationToken);

    protected override async Task ServeSessionAsync(Socket client, string name, CancellationToken stopping)
    {
        using var _ = client;
        Events.Emit(new LogLine(LogSeverity.Info, $"{name} connected"));
        var buffer = new byte[TimeMessage.MaxLine * 2 + 2];
        var filled = 0;
        using var idle = Deadline.After(Options.IdleTimeoutMs, stopping, time);
        try
        {
            while (true)
            {
                int n;
                try
                {
                    n = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, idle.Token);
                }
                catch (OperationCanceledException) when (idle.Expired)
                {
                    Events.Emit(new LogLine(LogSeverity.Info, $"{name} idle for {Options.IdleTimeoutMs} ms: closed"));
                    await client.SendAsync(TimeMessage.Error("idle timeout, closing"), SocketFlags.None, stopping);
                    break;
                }
                if (n == 0)
                {
                    Events.Emit(new LogLine(LogSeverity.Info, $"{name} closed the connection"));
                    break;
                }
                filled += n;
                idle.Restart(Options.IdleTimeoutMs);
                if (!await AnswerAsync(client, name, buffer, ref filled, stopping))
                    break;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException || (e is OperationCanceledException && stopping.IsCancellationRequested))
        {
            // The client reset the connection, or the server is stopping: nothing more to say to it.
        }
        client.CloseQuietly();
    }

    /// <summary>Answers every whole command received; false when the session must end (a line too long).</summary>
    private ValueTask<bool> AnswerAsync(Socket client, string name, byte[] buffer, ref int filled, CancellationToken stopping)
    {
        var replies = new List<byte[]>();
        var keep = true;
        var start = 0;
        while (keep)
        {
            var scan = TimeMessage.Scan(buffer.AsSpan(start, filled - start), out var consumed, out var command);
            start += consumed;
            if (scan == TimeScan.NeedMore)
                break;
            if (scan == TimeScan.TooLong)
            {
                Events.Emit(new TimeRequestSeen(name, Core.Printable.Ascii(buffer.AsSpan(start, Math.Min(40, filled - start))) + "…", null));
                replies.Add(TimeMessage.Error($"line too long (at most {TimeMessage.MaxLine} bytes), closing"));
                keep = false;
                break;
            }
            if (command.Equals(TimeMessage.Request, StringComparison.OrdinalIgnoreCase))
            {
                var now = Clock.Now();
                replies.Add(TimeMessage.Reply(now));
                Events.Emit(new TimeRequestSeen(name, command, TimeMessage.Iso(now)));
            }
            else
            {
                replies.Add(TimeMessage.Error($"unknown command \"{Core.Printable.Ascii(System.Text.Encoding.Latin1.GetBytes(command), 40)}\" (send reqtime)"));
                Events.Emit(new TimeRequestSeen(name, Core.Printable.Ascii(System.Text.Encoding.Latin1.GetBytes(command), 80), null));
            }
        }
        buffer.AsSpan(start, filled - start).CopyTo(buffer);
        filled -= start;
        return SendAllAsync(client, replies, keep, stopping);
    }

    private static async ValueTask<bool> SendAllAsync(Socket client, List<byte[]> replies, bool keep, CancellationToken stopping)
    {
        foreach (var reply in replies)
            await client.SendAsync(reply, SocketFlags.None, stopping);
        return keep;
    }
}
