using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Netlab.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class InstanceLeases : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "InstanceId",
                table: "Servers",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "InstanceId",
                table: "Runs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Instances",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Address = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RenewedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Instances", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Servers_StoppedAt_InstanceId",
                table: "Servers",
                columns: new[] { "StoppedAt", "InstanceId" });

            migrationBuilder.CreateIndex(
                name: "IX_Runs_Status_InstanceId",
                table: "Runs",
                columns: new[] { "Status", "InstanceId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Instances");

            migrationBuilder.DropIndex(
                name: "IX_Servers_StoppedAt_InstanceId",
                table: "Servers");

            migrationBuilder.DropIndex(
                name: "IX_Runs_Status_InstanceId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "InstanceId",
                table: "Servers");

            migrationBuilder.DropColumn(
                name: "InstanceId",
                table: "Runs");
        }
    }
}
