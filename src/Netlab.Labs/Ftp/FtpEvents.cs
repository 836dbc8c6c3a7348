using System.Text.Json.Serialization;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>Who opens an FTP data connection (RFC 959 section 3.2): the server to the client's PORT/EPRT, or the client to the server's PASV/EPSV.</summary>
/// <remarks>The JSON names are the ones stored since the first release.</remarks>
public enum FtpDataMode
{
    [JsonStringEnumMemberName("active")] Active,
    [JsonStringEnumMemberName("passive")] Passive,
}

/// <summary>What a data connection carried, seen from the client.</summary>
public enum FtpTransferDirection
{
    /// <summary>RETR: a file from the server.</summary>
    [JsonStringEnumMemberName("download")] Download,
    /// <summary>STOR: a file to the server.</summary>
    [JsonStringEnumMemberName("upload")] Upload,
    /// <summary>LIST: a directory listing from the server.</summary>
    [JsonStringEnumMemberName("listing")] Listing,
}

/// <summary>
/// One FTP data connection, as the server or the client saw it: whose session, active (PORT/EPRT)
/// or passive (PASV/EPSV), what went over it, how much and how fast, and whether it completed
/// (Error says why not: connect failed, aborted, the peer vanished, timed out).
/// </summary>
public sealed record FtpTransfer(string Session, FtpDataMode Mode, FtpTransferDirection Direction, string Path, long Bytes, double DurationMs,
    double BytesPerSecond, bool Completed, string? Error) : LabEvent;
