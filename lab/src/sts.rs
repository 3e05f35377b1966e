//! STS actions (query protocol, XML responses, API version 2011-06-15).

use axum::response::Response;

use crate::LabState;
use crate::protocol::{LabRequest, Service, request_id, unknown_action, xml_response};

pub fn dispatch(state: &LabState, req: &LabRequest) -> Response {
    let account = &state.account;
    match req.action.as_str() {
        "GetCallerIdentity" => xml_response(format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/ssmdeck-lab</Arn>\
<UserId>AIDALABUSER0000000001</UserId><Account>{account}</Account></GetCallerIdentityResult>\
<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
            request_id()
        )),
        other => unknown_action(Service::Sts, other),
    }
}
