using System.Globalization;
using Netlab.Labs.Core;

namespace Netlab.Labs.TcpConsole;

/// <summary>
/// The console as a stored run: connects, listens for the greeting, types each line of the
/// script and listens after each for the quiet time (at most the wait), then hangs up; the whole
/// dialogue is in the run's events.
/// </summary>
public sealed class TcpConsoleProbe(TcpConsoleProbeOptions options, TimeProvider? time = null) : IProbe
{
    public const int MaxLines = 1_000;

    private readonly TimeProvider time = time ?? TimeProvider.System;

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var lines = options.Lines.Replace("\r\n", "\n").Split('\n');
        if (lines.Length > 1 && lines[^1].Length == 0) lines = lines[..^1];
        if (lines.Length > MaxLines)
            throw new LabException($"At most {MaxLines} lines per script ({lines.Length} given).");
        var quiet = TimeSpan.FromMilliseconds(options.QuietMs);
        var wait = TimeSpan.FromMilliseconds(options.WaitMs);
        var typed = 0;
        var session = await TcpConsoleSession.ConnectAsync(target, options, events, time, cancellationToken);
        try
        {
            await session.WaitQuietAsync(quiet, wait, cancellationToken);
            foreach (var line in lines)
            {
                if (!session.Connected)
                {
                    events.Emit(new LogLine(LogSeverity.Warning, $"The connection closed after {typed} of {lines.Length} lines; the rest were not sent."));
                    break;
                }
                await session.SendLineAsync(line, cancellationToken);
                typed++;
                await session.WaitQuietAsync(quiet, wait, cancellationToken);
            }
        }
        catch (LabException) when (session.LimitExceeded is not null)
        {
            // A line could not be sent because the console hung up on a flood: that is the reason, below.
        }
        finally
        {
            var closedByServer = !session.Connected && session.LimitExceeded is null;
            await session.DisposeAsync();
            events.Emit(new Summary(
                [string.Create(CultureInfo.InvariantCulture, $"{typed} of {lines.Length} lines sent ({session.BytesSent} bytes), {session.BytesReceived} bytes received; {(closedByServer ? "the server closed the connection" : "closed by the console")}")],
                new Dictionary<string, double?> { ["lines"] = typed, ["bytesSent"] = session.BytesSent, ["bytesReceived"] = session.BytesReceived, ["closedByServer"] = closedByServer ? 1 : 0 }));
        }
        // Hung up on a flood: the run fails naming the limit (after the summary of what came).
        if (session.LimitExceeded is { } exceeded)
            throw exceeded;
    }
}
