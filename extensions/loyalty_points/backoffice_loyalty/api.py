"""The extension's own API route: a customer's balance, for a shop's account page (a key holding
`read:loyalty-points`, acting as a staff member who may see loyalty points)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from backoffice.api.common import Problem
from backoffice.api.input_rules import INT32_MAX, StrictRoute
from backoffice.api.resources import answering, key_with
from backoffice.db import read_session
from backoffice.models import ApiKey
from backoffice.services import api_keys
from backoffice_loyalty import ledger
from backoffice_loyalty.declaration import LOYALTY

router = APIRouter(prefix='/api/v1/loyalty', tags=['loyalty'], route_class=StrictRoute)
reader = key_with(LOYALTY, 'read')


class BalanceOut(BaseModel):
    customer_id: int
    points: int = Field(description='The sum of the ledger: points earned minus points taken back')


@router.get(
    '/balance/{customer_id}',
    response_model=BalanceOut,
    operation_id='loyalty_balance',
    summary="A customer's loyalty points",
    responses={
        401: {'model': Problem, 'description': 'No API key, or an unknown or revoked one'},
        403: {'model': Problem, 'description': 'The key lacks `read:loyalty-points`, or its staff member may not'},
        404: {'model': Problem, 'description': 'No such customer'},
        429: {'model': Problem, 'description': 'Too many calls a minute with this key'},
    },
)
def customer_balance(
    customer_id: Annotated[int, Path(ge=1, le=INT32_MAX, description="The customer's id")],
    key: Annotated[ApiKey, Depends(reader)],
) -> BalanceOut:
    with answering('path'), read_session() as session:
        actor = api_keys.acting_user(session, key)
        points = ledger.balance(session=session, actor=actor, customer_id=customer_id)
    return BalanceOut(customer_id=customer_id, points=points)
