//! Users, CCUs, outlets, readings, commands, alerts and events.

use sea_orm_migration::{prelude::*, schema::*};

use crate::ddl::{cascade_on_delete, drop_tables, index, new_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Username,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Ccus {
    Table,
    Id,
    OwnerId,
    Name,
    Location,
    SecretHash,
    Transport,
    BreakerThresholdMa,
    Online,
    Firmware,
    LastSeen,
    BreakerMa,
    BreakerAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outlets {
    Table,
    Id,
    CcuId,
    DeviceId,
    Name,
    Location,
    ThresholdMa,
    CurrentA,
    CurrentB,
    RelayA,
    RelayB,
    IsOverload,
    Online,
    LastSeen,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SensorReadings {
    Table,
    Id,
    OutletId,
    Ts,
    CurrentA,
    CurrentB,
    RelayA,
    RelayB,
    IsOverload,
}

#[derive(DeriveIden, Clone, Copy)]
enum BreakerReadings {
    Table,
    Id,
    CcuId,
    Ts,
    CurrentMa,
    ThresholdMa,
}

#[derive(DeriveIden, Clone, Copy)]
enum Commands {
    Table,
    Id,
    CcuId,
    OutletId,
    UserId,
    Command,
    Socket,
    Value,
    Status,
    Detail,
    CreatedAt,
    SentAt,
    CompletedAt,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Alerts {
    Table,
    Id,
    UserId,
    CcuId,
    OutletId,
    Kind,
    Message,
    Value,
    Threshold,
    RaisedAt,
    ClearedAt,
    AcknowledgedAt,
    AcknowledgedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    Table,
    Id,
    UserId,
    Kind,
    Source,
    CcuId,
    DeviceId,
    Message,
    Data,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            new_table(Users::Table)
                .col(pk_auto(Users::Id))
                .col(string_uniq(Users::Username))
                .col(string(Users::PasswordHash))
                .col(big_integer(Users::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            new_table(Ccus::Table)
                .col(string(Ccus::Id).primary_key())
                .col(integer(Ccus::OwnerId))
                .col(string(Ccus::Name))
                .col(string(Ccus::Location).default(""))
                .col(string(Ccus::SecretHash))
                .col(string(Ccus::Transport).default("mqtt"))
                .col(big_integer(Ccus::BreakerThresholdMa))
                .col(boolean(Ccus::Online).default(false))
                .col(string_null(Ccus::Firmware))
                .col(big_integer_null(Ccus::LastSeen))
                .col(big_integer_null(Ccus::BreakerMa))
                .col(big_integer_null(Ccus::BreakerAt))
                .col(big_integer(Ccus::CreatedAt))
                .col(big_integer(Ccus::UpdatedAt))
                .foreign_key(&mut cascade_on_delete(
                    (Ccus::Table, Ccus::OwnerId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("idx_ccus_owner", Ccus::Table, &[Ccus::OwnerId]))
            .await?;

        m.create_table(
            new_table(Outlets::Table)
                .col(pk_auto(Outlets::Id))
                .col(string(Outlets::CcuId))
                .col(string(Outlets::DeviceId))
                .col(string(Outlets::Name))
                .col(string(Outlets::Location).default(""))
                .col(big_integer(Outlets::ThresholdMa).default(0))
                .col(big_integer_null(Outlets::CurrentA))
                .col(big_integer_null(Outlets::CurrentB))
                .col(boolean_null(Outlets::RelayA))
                .col(boolean_null(Outlets::RelayB))
                .col(boolean(Outlets::IsOverload).default(false))
                .col(boolean(Outlets::Online).default(false))
                .col(big_integer_null(Outlets::LastSeen))
                .col(big_integer(Outlets::CreatedAt))
                .col(big_integer(Outlets::UpdatedAt))
                .foreign_key(
                    cascade_on_delete((Outlets::Table, Outlets::CcuId), (Ccus::Table, Ccus::Id))
                        .on_update(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        let device_in_ccu = [Outlets::CcuId, Outlets::DeviceId];
        let mut unique = index("uq_outlets_ccu_device", Outlets::Table, &device_in_ccu);
        m.create_index(unique.unique().to_owned()).await?;

        m.create_table(
            new_table(SensorReadings::Table)
                .col(big_pk_auto(SensorReadings::Id))
                .col(integer(SensorReadings::OutletId))
                .col(big_integer(SensorReadings::Ts))
                .col(big_integer(SensorReadings::CurrentA))
                .col(big_integer(SensorReadings::CurrentB))
                .col(boolean_null(SensorReadings::RelayA))
                .col(boolean_null(SensorReadings::RelayB))
                .col(boolean(SensorReadings::IsOverload))
                .foreign_key(&mut cascade_on_delete(
                    (SensorReadings::Table, SensorReadings::OutletId),
                    (Outlets::Table, Outlets::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_sensor_readings_outlet_ts",
            SensorReadings::Table,
            &[SensorReadings::OutletId, SensorReadings::Ts],
        ))
        .await?;

        m.create_table(
            new_table(BreakerReadings::Table)
                .col(big_pk_auto(BreakerReadings::Id))
                .col(string(BreakerReadings::CcuId))
                .col(big_integer(BreakerReadings::Ts))
                .col(big_integer(BreakerReadings::CurrentMa))
                .col(big_integer(BreakerReadings::ThresholdMa))
                .foreign_key(
                    cascade_on_delete(
                        (BreakerReadings::Table, BreakerReadings::CcuId),
                        (Ccus::Table, Ccus::Id),
                    )
                    .on_update(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_breaker_readings_ccu_ts",
            BreakerReadings::Table,
            &[BreakerReadings::CcuId, BreakerReadings::Ts],
        ))
        .await?;

        m.create_table(
            new_table(Commands::Table)
                .col(string(Commands::Id).primary_key())
                .col(string(Commands::CcuId))
                .col(integer(Commands::OutletId))
                .col(integer_null(Commands::UserId))
                .col(string(Commands::Command))
                .col(string_null(Commands::Socket))
                .col(big_integer_null(Commands::Value))
                .col(string(Commands::Status))
                .col(text_null(Commands::Detail))
                .col(big_integer(Commands::CreatedAt))
                .col(big_integer_null(Commands::SentAt))
                .col(big_integer_null(Commands::CompletedAt))
                .col(big_integer(Commands::ExpiresAt))
                .foreign_key(&mut cascade_on_delete(
                    (Commands::Table, Commands::OutletId),
                    (Outlets::Table, Outlets::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_commands_ccu_status",
            Commands::Table,
            &[Commands::CcuId, Commands::Status],
        ))
        .await?;
        m.create_index(index(
            "idx_commands_outlet_created",
            Commands::Table,
            &[Commands::OutletId, Commands::CreatedAt],
        ))
        .await?;

        m.create_table(
            new_table(Alerts::Table)
                .col(pk_auto(Alerts::Id))
                .col(integer(Alerts::UserId))
                .col(string_null(Alerts::CcuId))
                .col(integer_null(Alerts::OutletId))
                .col(string(Alerts::Kind))
                .col(text(Alerts::Message))
                .col(big_integer_null(Alerts::Value))
                .col(big_integer_null(Alerts::Threshold))
                .col(big_integer(Alerts::RaisedAt))
                .col(big_integer_null(Alerts::ClearedAt))
                .col(big_integer_null(Alerts::AcknowledgedAt))
                .col(integer_null(Alerts::AcknowledgedBy))
                .foreign_key(&mut cascade_on_delete(
                    (Alerts::Table, Alerts::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_alerts_user_cleared",
            Alerts::Table,
            &[Alerts::UserId, Alerts::ClearedAt],
        ))
        .await?;

        m.create_table(
            new_table(Events::Table)
                .col(big_pk_auto(Events::Id))
                .col(integer_null(Events::UserId))
                .col(string(Events::Kind))
                .col(string(Events::Source))
                .col(string_null(Events::CcuId))
                .col(string_null(Events::DeviceId))
                .col(text(Events::Message))
                .col(text_null(Events::Data))
                .col(big_integer(Events::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_events_user_created",
            Events::Table,
            &[Events::UserId, Events::CreatedAt],
        ))
        .await?;
        m.create_index(index(
            "idx_events_created",
            Events::Table,
            &[Events::CreatedAt],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Events::Table.into_iden(),
            Alerts::Table.into_iden(),
            Commands::Table.into_iden(),
            BreakerReadings::Table.into_iden(),
            SensorReadings::Table.into_iden(),
            Outlets::Table.into_iden(),
            Ccus::Table.into_iden(),
            Users::Table.into_iden(),
        ];
        drop_tables(m, tables).await
    }
}
