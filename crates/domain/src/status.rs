//! National dossier statuses (DVCQG `TrangThaiHoSo`, ../shared/docs/domain.md §2.1).

use serde::{Deserialize, Serialize};

/// The national status 1–10. Vendor workflow steps (Phân công thụ lý, Thẩm định, Ký duyệt…)
/// are not statuses: they travel as a step label while the status is 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum NationalStatus {
    NewlySubmitted = 1,
    Received = 2,
    NotAccepted = 3,
    Processing = 4,
    SupplementRequested = 5,
    FeeRequested = 6,
    WithdrawalRequested = 7,
    Stopped = 8,
    Completed = 9,
    Returned = 10,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("national status must be 1–10, got {0}")]
pub struct BadStatus(pub u8);

impl NationalStatus {
    pub const ALL: [NationalStatus; 10] = [
        Self::NewlySubmitted,
        Self::Received,
        Self::NotAccepted,
        Self::Processing,
        Self::SupplementRequested,
        Self::FeeRequested,
        Self::WithdrawalRequested,
        Self::Stopped,
        Self::Completed,
        Self::Returned,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    /// The DVCQG name, as citizens see it on the national portal.
    pub fn name_vi(self) -> &'static str {
        match self {
            Self::NewlySubmitted => "Mới đăng ký",
            Self::Received => "Được tiếp nhận",
            Self::NotAccepted => "Không được tiếp nhận",
            Self::Processing => "Đang xử lý",
            Self::SupplementRequested => "Yêu cầu bổ sung giấy tờ",
            Self::FeeRequested => "Yêu cầu thực hiện nghĩa vụ tài chính",
            Self::WithdrawalRequested => "Công dân yêu cầu rút hồ sơ",
            Self::Stopped => "Dừng xử lý",
            Self::Completed => "Đã xử lý xong",
            Self::Returned => "Đã trả kết quả",
        }
    }

    /// No more processing will happen: the due date no longer matters.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::NotAccepted | Self::Stopped | Self::Completed | Self::Returned
        )
    }

    /// The clock is stopped while the citizen owes something (papers, fees) or asked to withdraw.
    pub fn waits_for_citizen(self) -> bool {
        matches!(
            self,
            Self::SupplementRequested | Self::FeeRequested | Self::WithdrawalRequested
        )
    }
}

impl TryFrom<u8> for NationalStatus {
    type Error = BadStatus;
    fn try_from(v: u8) -> Result<Self, BadStatus> {
        Self::ALL
            .get(usize::from(v).wrapping_sub(1))
            .copied()
            .ok_or(BadStatus(v))
    }
}

impl From<NationalStatus> for u8 {
    fn from(s: NationalStatus) -> u8 {
        s.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_out_of_range_is_rejected() {
        for s in NationalStatus::ALL {
            assert_eq!(NationalStatus::try_from(s.code()), Ok(s));
        }
        assert_eq!(NationalStatus::try_from(0), Err(BadStatus(0)));
        assert_eq!(NationalStatus::try_from(11), Err(BadStatus(11)));
        assert_eq!(
            serde_json::to_string(&NationalStatus::Processing).unwrap(),
            "4"
        );
        assert!(serde_json::from_str::<NationalStatus>("12").is_err());
        assert_eq!(NationalStatus::Returned.name_vi(), "Đã trả kết quả");
    }
}
