using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.UdpPing;

public sealed record UdpPingServerGraderOptions
{
    [Range(0.0, 0.9), Description("The loss rate the server should simulate (the handout says 30%).")]
    public double ExpectedLossRate { get; init; } = 0.30;

    [Range(0.01, 0.5), Description("How far the measured loss may be from the expected rate (absolute; 0.12 = 18%..42% for 30%, which also admits the handout's randint rule, 36.4%).")]
    public double LossTolerance { get; init; } = 0.12;

    [Range(50, 2000), Description("Pings sent to measure the loss rate.")]
    public int LossPings { get; init; } = 200;

    [Range(50, 10_000), Description("How long to wait for each reply before resending, in ms.")]
    public int ReplyTimeoutMs { get; init; } = 300;
}

/// <summary>
/// Grades a student's UDP ping server (handout 000, assignment 2): upper-cased echo to the sender's
/// own address and port, payloads up to the UDP maximum, several clients at once, loss near the
/// handout's rate, and surviving garbage. Because the server drops on purpose, each exchange is
/// retried until one reply arrives (10 tries at 30% loss fail by chance once in 170,000).
/// </summary>
public sealed class UdpPingServerGrader(UdpPingServerGraderOptions options, LabEnvironment environment) : IProbe
{
    private const int Tries = 10;
    public const int MaxPayload = 65507;

    private TimeSpan ReplyTimeout => TimeSpan.FromMilliseconds(options.ReplyTimeoutMs);
    private TimeSpan CheckLimit => ReplyTimeout * (Tries + 2) + TimeSpan.FromSeconds(2);

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var checks = new CheckRunner(events, environment.Time);
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the UDP ping server at {target}."));
        var reached = await checks.RunAsync("Reply to the sender", 2, "a reply to a ping, sent back to the address and port the ping came from", CheckLimit,
            ct => ReplyReachesSenderAsync(target, ct), cancellationToken);
        const string NoReply = "not checked: no reply reached the sender at all (see \"Reply to the sender\")";
        if (reached)
        {
            await checks.RunAsync("Upper-cased echo", 2, "the payload sent back upper-cased, otherwise unchanged", CheckLimit, ct => UpperCaseAsync(target, ct), cancellationToken);
            await checks.RunAsync("Largest payload", 1, $"a {MaxPayload}-byte datagram (the UDP maximum) echoed whole", CheckLimit, ct => LargestAsync(target, ct), cancellationToken);
            await checks.RunAsync("Several clients at once", 2, "4 clients pinging at the same time each get their own replies", CheckLimit * 2, ct => SeveralClientsAsync(target, ct), cancellationToken);
            await checks.RunAsync("Simulated loss", 2,
                $"loss within {Percent(options.ExpectedLossRate - options.LossTolerance)}..{Percent(options.ExpectedLossRate + options.LossTolerance)} over {options.LossPings} pings (expected {Percent(options.ExpectedLossRate)} ± {Percent(options.LossTolerance)})",
                TimeSpan.FromMilliseconds(options.LossPings * 20 + 10_000), ct => LossAsync(target, ct), cancellationToken);
            // Last: a server that crashes on garbage must not cost the checks above.
            await checks.RunAsync("Survives garbage", 1, "after an empty datagram and bytes that are not text, a ping is still answered", CheckLimit,
                ct => GarbageAsync(target, ct), cancellationToken);
        }
        else
        {
            checks.Record("Upper-cased echo", 2, "the payload sent back upper-cased", false, NoReply);
            checks.Record("Largest payload", 1, $"a {MaxPayload}-byte datagram echoed whole", false, NoReply);
            checks.Record("Several clients at once", 2, "4 clients at once each get their own replies", false, NoReply);
            checks.Record("Simulated loss", 2, $"loss near {Percent(options.ExpectedLossRate)}", false, NoReply);
            checks.Record("Survives garbage", 1, "a ping answered after garbage", false, NoReply);
        }
        checks.Finish();
    }

    private static string Percent(double rate) => (rate * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static Socket NewSocket(ProbeTarget target)
    {
        var socket = new Socket(target.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(target.Address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        socket.ReceiveBufferSize = 1 << 20;
        return socket;
    }

    /// <summary>Sends a payload until a reply comes back from the target (the server may drop some); null when none did.</summary>
    private async Task<byte[]?> ExchangeAsync(Socket socket, ProbeTarget target, byte[] payload, Func<byte[], bool>? accept, CancellationToken ct)
    {
        var buffer = new byte[MaxPayload + 1];
        for (var i = 0; i < Tries; i++)
        {
            await socket.SendToAsync(payload, SocketFlags.None, target.EndPoint, ct);
            using var wait = Deadline.After(ReplyTimeout, ct, environment.Time);
            try
            {
                while (true)
                {
                    var got = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(target.Address, 0), wait.Token);
                    var reply = buffer.AsSpan(0, got.ReceivedBytes).ToArray();
                    if (accept is null || accept(reply))
                        return reply;
                }
            }
            catch (OperationCanceledException) when (wait.Expired)
            {
                // Dropped (on purpose, or never answered): try again.
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // ICMP port unreachable: nothing listens there.
                throw new LabException($"nothing listens on UDP {target} (port unreachable)");
            }
        }
        return null;
    }

    private async Task<(bool, string)> ReplyReachesSenderAsync(ProbeTarget target, CancellationToken ct)
    {
        using var socket = NewSocket(target);
        var reply = await ExchangeAsync(socket, target, Encoding.ASCII.GetBytes("Ping 1 " + Stamp()), null, ct);
        return reply is null
            ? (false, $"no reply arrived at {socket.LocalEndPoint} (the ping's own address and port) after {Tries} tries; does the server send to the address recvfrom() returned?")
            : (true, $"reply of {reply.Length} bytes arrived at {socket.LocalEndPoint}");
    }

    private async Task<(bool, string)> UpperCaseAsync(ProbeTarget target, CancellationToken ct)
    {
        using var socket = NewSocket(target);
        const string sent = "Ping 2 mixed Case payload xyz";
        var reply = await ExchangeAsync(socket, target, Encoding.ASCII.GetBytes(sent), null, ct);
        if (reply is null)
            return (false, $"no reply after {Tries} tries");
        var text = Encoding.ASCII.GetString(reply);
        return text == sent.ToUpperInvariant() ? (true, $"sent \"{sent}\", got \"{text}\"")
            : text == sent ? (false, $"got \"{text}\" back unchanged: the reply must be upper-cased (message.upper())")
            : (false, $"sent \"{sent}\", expected \"{sent.ToUpperInvariant()}\", got \"{Printable.Ascii(reply, 80)}\"");
    }

    private async Task<(bool, string)> LargestAsync(ProbeTarget target, CancellationToken ct)
    {
        using var socket = NewSocket(target);
        socket.SendBufferSize = 1 << 20;
        var payload = new byte[MaxPayload];
        for (var i = 0; i < payload.Length; i++)
            payload[i] = (byte)('a' + i % 26);
        var reply = await ExchangeAsync(socket, target, payload, null, ct);
        if (reply is null)
            return (false, $"no reply to a {MaxPayload}-byte ping after {Tries} tries");
        if (reply.Length != MaxPayload)
            return (false, $"the reply had {reply.Length} of the {MaxPayload} bytes: receive with a buffer of at least 65507 (recvfrom(65535)), not {reply.Length}");
        // Case is the upper-case check's business: here only that every byte came back.
        var expected = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(payload).ToUpperInvariant());
        var got = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(reply).ToUpperInvariant());
        return got.AsSpan().SequenceEqual(expected) ? (true, $"{MaxPayload} bytes echoed whole")
            : (false, $"{MaxPayload} bytes came back but differ from byte {got.AsSpan().CommonPrefixLength(expected)} on");
    }

    private async Task<(bool, string)> SeveralClientsAsync(ProbeTarget target, CancellationToken ct)
    {
        var sockets = Enumerable.Range(0, 4).Select(_ => NewSocket(target)).ToList();
        try
        {
            var results = await Task.WhenAll(sockets.Select(async (socket, i) =>
            {
                var sent = $"ping {i + 1} from client {i + 1}";
                var reply = await ExchangeAsync(socket, target, Encoding.ASCII.GetBytes(sent), null, ct);
                // Case is the upper-case check's business: here only whose reply it is.
                return reply is not null && Encoding.ASCII.GetString(reply).Equals(sent, StringComparison.OrdinalIgnoreCase);
            }));
            var ok = results.Count(r => r);
            return ok == results.Length ? (true, "each of 4 clients got its own reply")
                : (false, $"{ok} of 4 clients pinging at once got their own reply: the server must answer every datagram to the address it came from, not to one remembered client");
        }
        finally
        {
            foreach (var s in sockets)
                s.Dispose();
        }
    }

    /// <summary>Sends the pings in bursts of 10 and counts the distinct replies; late replies count wherever they arrive.</summary>
    private async Task<(bool, string)> LossAsync(ProbeTarget target, CancellationToken ct)
    {
        using var socket = NewSocket(target);
        var answered = new HashSet<int>();
        var buffer = new byte[2048];
        async Task DrainAsync(TimeSpan quiet)
        {
            while (true)
            {
                using var wait = Deadline.After(quiet, ct, environment.Time);
                try
                {
                    var got = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(target.Address, 0), wait.Token);
                    var parts = Encoding.ASCII.GetString(buffer, 0, got.ReceivedBytes).Split(' ');
                    // Only pings that were sent count: a flood of made-up numbers must not grow the set.
                    if (parts.Length >= 2 && int.TryParse(parts[1], out var seq) && seq >= 1 && seq <= options.LossPings)
                        answered.Add(seq);
                }
                catch (OperationCanceledException) when (wait.Expired)
                {
                    return;
                }
            }
        }
        for (var seq = 1; seq <= options.LossPings; seq++)
        {
            await socket.SendToAsync(Encoding.ASCII.GetBytes($"Ping {seq} {Stamp()}"), SocketFlags.None, target.EndPoint, ct);
            if (seq % 10 == 0)
                await DrainAsync(TimeSpan.FromMilliseconds(100));
        }
        await DrainAsync(ReplyTimeout + TimeSpan.FromMilliseconds(200));
        var loss = 1 - (double)answered.Count / options.LossPings;
        var ok = Math.Abs(loss - options.ExpectedLossRate) <= options.LossTolerance;
        var measured = $"{options.LossPings - answered.Count} of {options.LossPings} pings lost: {Percent(loss)}";
        return ok ? (true, measured)
            : loss < options.ExpectedLossRate ? (false, $"{measured}; the server must drop about {Percent(options.ExpectedLossRate)} of pings (e.g. if random.randint(0, 10) < 4: continue)")
            : (false, $"{measured}; more than expected: is the server dropping replies it should send?");
    }

    private async Task<(bool, string)> GarbageAsync(ProbeTarget target, CancellationToken ct)
    {
        using var socket = NewSocket(target);
        await socket.SendToAsync(Array.Empty<byte>(), SocketFlags.None, target.EndPoint, ct);
        await socket.SendToAsync(new byte[] { 0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28 }, SocketFlags.None, target.EndPoint, ct);
        const string sent = "Ping 99 after garbage";
        var reply = await ExchangeAsync(socket, target, Encoding.ASCII.GetBytes(sent), r => Encoding.ASCII.GetString(r).Equals(sent, StringComparison.OrdinalIgnoreCase), ct);
        return reply is null
            ? (false, "no ping was answered after an empty datagram and invalid UTF-8: did the server crash decoding it? Upper-case the bytes, or catch the error and go on")
            : (true, "still answering after garbage");
    }

    private string Stamp() => (environment.Time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0).ToString("0.000000", CultureInfo.InvariantCulture);
}
