using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>
/// One FTP data connection, as the server or the client saw it: whose session, active (PORT/EPRT)
/// or passive (PASV/EPSV), what went over it, how much and how fast, and whether it completed
/// (Error says why not: connect failed, aborted, the peer vanished, timed out).
/// </summary>
public sealed record FtpTransfer(string Session, string Mode, string Direction, string Path, long Bytes, double DurationMs,
    double BytesPerSecond, bool Completed, string? Error) : LabEvent;
