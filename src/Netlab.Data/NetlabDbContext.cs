using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Netlab.Data;

/// <summary>
/// The portal's store, on SQLite or PostgreSQL (the migrations of each live in their own assembly
/// under migrations/). It also keeps ASP.NET Core's data protection keys, so every instance on one
/// database signs and reads the same cookies.
/// </summary>
public sealed class NetlabDbContext(DbContextOptions<NetlabDbContext> options) : IdentityDbContext<NetlabUser>(options), IDataProtectionKeyContext
{
    /// <summary>The provider name of Npgsql's EF Core provider (as <c>Database.ProviderName</c> reports it).</summary>
    public const string PostgresProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<RunEntity> Runs => Set<RunEntity>();
    public DbSet<RunEventEntity> RunEvents => Set<RunEventEntity>();
    public DbSet<ApiKeyEntity> ApiKeys => Set<ApiKeyEntity>();
    public DbSet<ServerEntity> Servers => Set<ServerEntity>();
    public DbSet<ServerEventEntity> ServerEvents => Set<ServerEventEntity>();
    public DbSet<AssignmentEntity> Assignments => Set<AssignmentEntity>();
    public DbSet<SubmissionEntity> Submissions => Set<SubmissionEntity>();
    public DbSet<InstanceEntity> Instances => Set<InstanceEntity>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every time the portal stores is UTC, but SQLite gives DateTimes back without a kind and some
        // code compares with such values. Npgsql maps DateTime to timestamp with time zone and refuses
        // any kind but Utc, so on PostgreSQL every DateTime is written (and compared) as UTC.
        if (Database.ProviderName == PostgresProvider)
        {
            configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTime>();
            configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTime>();
        }
    }

    /// <summary>A time without a kind is taken as UTC (what the portal stores); a local one is converted.</summary>
    private sealed class UtcDateTime() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : DateTime.SpecifyKind(v, DateTimeKind.Utc),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder); // the Identity tables (AspNetUsers, AspNetRoles, ...)
        modelBuilder.Entity<NetlabUser>(u => u.Property(x => x.DisplayName).HasMaxLength(200));
        modelBuilder.Entity<ApiKeyEntity>(key =>
        {
            key.ToTable("ApiKeys");
            key.HasKey(k => k.Id);
            key.Property(k => k.Name).HasMaxLength(100);
            key.Property(k => k.Hash).HasMaxLength(64);
            key.Property(k => k.Prefix).HasMaxLength(16);
            key.HasIndex(k => k.Hash).IsUnique();
            // A deleted user's keys go with it.
            key.HasOne<NetlabUser>().WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RunEntity>(run =>
        {
            run.ToTable("Runs");
            run.HasKey(r => r.Id);
            run.Property(r => r.Lab).HasMaxLength(64);
            run.Property(r => r.Probe).HasMaxLength(64);
            run.Property(r => r.TargetHost).HasMaxLength(255);
            run.Property(r => r.TargetAddress).HasMaxLength(64);
            run.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
            run.HasIndex(r => r.CreatedAt);
            run.HasIndex(r => new { r.Lab, r.Status });
            // No foreign key: a deleted user's runs stay, with OwnerName saying who it was.
            run.Property(r => r.OwnerId).HasMaxLength(64);
            run.Property(r => r.OwnerName).HasMaxLength(200);
            run.HasIndex(r => new { r.OwnerId, r.CreatedAt });
            run.Property(r => r.InstanceId).HasMaxLength(64);
            // The lease monitor and the portal-wide limit look up running runs (of an instance).
            run.HasIndex(r => new { r.Status, r.InstanceId });
            run.HasMany<RunEventEntity>().WithOne().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RunEventEntity>(e =>
        {
            e.ToTable("RunEvents");
            e.HasKey(x => new { x.RunId, x.Seq });
            e.Property(x => x.Kind).HasMaxLength(32);
        });
        modelBuilder.Entity<ServerEntity>(server =>
        {
            server.ToTable("Servers");
            server.HasKey(s => s.Id);
            server.Property(s => s.Lab).HasMaxLength(64);
            server.Property(s => s.OwnerId).HasMaxLength(64);
            server.Property(s => s.OwnerName).HasMaxLength(256);
            server.Property(s => s.Address).HasMaxLength(64);
            server.Property(s => s.State).HasConversion<string>().HasMaxLength(16);
            // Lists are newest first, by lab and/or state; retention deletes by StartedAt; owners list their own.
            server.HasIndex(s => s.StartedAt);
            server.HasIndex(s => new { s.Lab, s.State });
            server.HasIndex(s => s.OwnerId);
            server.Property(s => s.InstanceId).HasMaxLength(64);
            server.HasIndex(s => new { s.StoppedAt, s.InstanceId });
            server.HasMany<ServerEventEntity>().WithOne().HasForeignKey(e => e.ServerId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<ServerEventEntity>(e =>
        {
            e.ToTable("ServerEvents");
            // Paging reads by (ServerId, Seq > after); the key is that index.
            e.HasKey(x => new { x.ServerId, x.Seq });
            e.Property(x => x.Kind).HasMaxLength(32);
        });
        modelBuilder.Entity<InstanceEntity>(i =>
        {
            i.ToTable("Instances");
            i.HasKey(x => x.Id);
            i.Property(x => x.Id).HasMaxLength(64);
            i.Property(x => x.Address).HasMaxLength(256);
        });
        modelBuilder.Entity<AssignmentEntity>(a =>
        {
            a.ToTable("Assignments");
            a.HasKey(x => x.Id);
            a.Property(x => x.Title).HasMaxLength(200);
            a.Property(x => x.Lab).HasMaxLength(64);
            a.Property(x => x.Grader).HasMaxLength(64);
            a.Property(x => x.Target).HasConversion<string>().HasMaxLength(16);
            a.Property(x => x.Counts).HasConversion<string>().HasMaxLength(8);
            a.Property(x => x.Details).HasConversion<string>().HasMaxLength(8);
            a.HasIndex(x => x.DueAt);
            // An assignment's submissions go with it; their runs stay in the runs list.
            a.HasMany<SubmissionEntity>().WithOne().HasForeignKey(s => s.AssignmentId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<SubmissionEntity>(s =>
        {
            s.ToTable("Submissions");
            s.HasKey(x => x.Id);
            // No foreign key to the user: grades outlive a deleted account, with the name kept.
            s.Property(x => x.StudentId).HasMaxLength(64);
            s.Property(x => x.StudentName).HasMaxLength(200);
            s.Property(x => x.StudentEmail).HasMaxLength(256);
            s.Property(x => x.TargetHost).HasMaxLength(255);
            s.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            s.Property(x => x.OverrideBy).HasMaxLength(200);
            s.HasIndex(x => new { x.AssignmentId, x.StudentId });
            s.HasIndex(x => x.RunId);
        });
    }
}
